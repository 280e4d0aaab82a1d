"""The seller's products: what they are, what they cost, where and how they sell."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from spapi_sim import ids
from spapi_sim.marketplaces import Marketplace
from spapi_sim.money import charm_price, q


@dataclass(frozen=True)
class Category:
    name: str
    product_type: str
    browse_node: str
    website_display_group: str
    # Referral fee as a share of the sales price (Amazon's category rates).
    referral_rate: Decimal
    # Yearly seasonality: amplitude and peak day-of-year (Christmas for toys, summer for garden).
    season_amplitude: float
    season_peak_doy: int
    nouns: tuple[str, ...]
    price_range: tuple[float, float]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Kitchen",
        "KITCHEN",
        "284507",
        "home_display_on_website",
        Decimal("0.15"),
        0.15,
        340,
        (
            "Silicone Spatula Set",
            "Knife Sharpener",
            "Glass Storage Containers",
            "Pour-Over Coffee Kettle",
            "Bamboo Cutting Board",
        ),
        (9, 45),
    ),
    Category(
        "Home",
        "HOME",
        "1055398",
        "home_display_on_website",
        Decimal("0.15"),
        0.10,
        330,
        (
            "Linen Throw Pillow Cover",
            "Blackout Curtain Panel",
            "Scented Soy Candle",
            "Storage Basket",
            "Wall Clock",
        ),
        (12, 60),
    ),
    Category(
        "Toys",
        "TOY_FIGURE",
        "165793011",
        "toy_display_on_website",
        Decimal("0.15"),
        0.55,
        350,
        (
            "Wooden Building Blocks",
            "Magnetic Tiles Set",
            "Plush Dinosaur",
            "Puzzle 1000 Pieces",
            "Marble Run",
        ),
        (10, 70),
    ),
    Category(
        "Sports",
        "SPORTING_GOODS",
        "3375251",
        "sports_display_on_website",
        Decimal("0.15"),
        0.25,
        160,
        ("Resistance Bands Set", "Yoga Mat", "Insulated Water Bottle", "Jump Rope", "Foam Roller"),
        (8, 50),
    ),
    Category(
        "Garden",
        "OUTDOOR_LIVING",
        "2972638011",
        "lawn_and_garden_display_on_website",
        Decimal("0.15"),
        0.45,
        150,
        ("Solar Path Lights", "Garden Kneeler", "Hose Nozzle", "Pruning Shears", "Plant Labels"),
        (7, 55),
    ),
    Category(
        "Pet Supplies",
        "PET_SUPPLIES",
        "2619533011",
        "pet_products_display_on_website",
        Decimal("0.15"),
        0.05,
        200,
        (
            "Dog Chew Toy",
            "Cat Scratching Pad",
            "Pet Hair Remover",
            "Slow Feeder Bowl",
            "Dog Poop Bags",
        ),
        (6, 40),
    ),
    Category(
        "Beauty",
        "BEAUTY",
        "3760911",
        "beauty_display_on_website",
        Decimal("0.08"),
        0.10,
        45,
        (
            "Jade Face Roller",
            "Hair Clips Set",
            "Makeup Brush Set",
            "Nail File Kit",
            "Satin Pillowcase",
        ),
        (6, 35),
    ),
    Category(
        "Electronics Accessories",
        "ELECTRONIC_ACCESSORY",
        "172282",
        "wireless_display_on_website",
        Decimal("0.08"),
        0.30,
        335,
        (
            "USB-C Cable 2-Pack",
            "Phone Stand",
            "Wireless Charger",
            "Cable Organizer",
            "Laptop Sleeve",
        ),
        (7, 40),
    ),
)

COLOURS = ("Black", "White", "Grey", "Blue", "Green", "Red", "Beige", "Pink", "Navy", "Teal")
BRANDS = (
    "Northwind",
    "Brightleaf",
    "Oakridge",
    "Lumen & Co",
    "Kestrel",
    "Tidewell",
    "Maplestone",
    "Cobalt Bay",
)

# (name, FBA fulfilment fee per unit in USD, weight in grams, longest side in cm)
SIZE_TIERS: tuple[tuple[str, Decimal, int, float], ...] = (
    ("Small standard", Decimal("3.22"), 200, 20.0),
    ("Large standard", Decimal("4.75"), 700, 35.0),
    ("Large standard", Decimal("6.10"), 1400, 42.0),
    ("Large bulky", Decimal("9.73"), 5000, 80.0),
)

LISTING_ACTIVE = "ACTIVE"
LISTING_INACTIVE = "INACTIVE"
LISTING_SUPPRESSED = "SUPPRESSED"


@dataclass(frozen=True)
class Product:
    index: int
    sku: str
    asin: str
    fnsku: str
    title: str
    brand: str
    colour: str
    category_index: int
    size_tier: int
    unit_cost_usd: Decimal
    price_usd: Decimal
    channel: str  # "AFN" (fulfilled by Amazon) or "MFN" (by the merchant)
    # Mean units per day in the US at launch; other marketplaces scale it by their share.
    base_rate: float
    launch_day: int
    # Marketplace country codes where the SKU is listed, with its listing status there.
    listing_status: tuple[tuple[str, str], ...]

    @property
    def category(self) -> Category:
        return CATEGORIES[self.category_index]

    @property
    def fba_fee_usd(self) -> Decimal:
        return SIZE_TIERS[self.size_tier][1]

    @property
    def weight_grams(self) -> int:
        return SIZE_TIERS[self.size_tier][2]

    def status_in(self, country: str) -> str | None:
        for code, status in self.listing_status:
            if code == country:
                return status
        return None

    def price_in(self, marketplace: Marketplace) -> Decimal:
        return charm_price(self.price_usd * marketplace.fx, marketplace.currency)

    def referral_fee(self, amount: Decimal, marketplace: Marketplace) -> Decimal:
        """Referral fee on a sales amount: the category rate, at least $0.30 per item."""
        minimum = q(Decimal("0.30") * marketplace.fx, marketplace.currency)
        return max(minimum, q(amount * self.category.referral_rate, marketplace.currency))

    def fba_fee(self, marketplace: Marketplace) -> Decimal:
        return q(self.fba_fee_usd * marketplace.fx, marketplace.currency)


def build_catalog(
    seed: int,
    seller_index: int,
    count: int,
    marketplaces: tuple[Marketplace, ...],
    history_days: int,
) -> list[Product]:
    rng = ids.rng(seed, "catalog", seller_index)
    prefix = ids.alnum(ids.derive(seed, "sku-prefix", seller_index), 3)
    products: list[Product] = []
    home = marketplaces[0].country_code
    for index in range(count):
        category_index = rng.randrange(len(CATEGORIES))
        category = CATEGORIES[category_index]
        noun = rng.choice(category.nouns)
        brand = BRANDS[rng.randrange(len(BRANDS))]
        colour = COLOURS[rng.randrange(len(COLOURS))]
        low, high = category.price_range
        price = Decimal(str(round(math.exp(rng.uniform(math.log(low), math.log(high))), 2)))
        price_usd = charm_price(price, "USD")
        # Landed cost is 25-45 % of the price for a typical private-label seller.
        unit_cost = q(price_usd * Decimal(str(round(rng.uniform(0.25, 0.45), 3))))
        size_tier = min(len(SIZE_TIERS) - 1, int(rng.expovariate(1.6)))
        channel = "MFN" if rng.random() < 0.2 else "AFN"
        # Long-tail demand: median 0.08 units/day, a few best sellers at several a day.
        base_rate = math.exp(rng.gauss(math.log(0.08), 1.3))
        launch_day = rng.randrange(history_days) if rng.random() < 0.1 else -rng.randrange(30, 900)
        statuses: list[tuple[str, str]] = []
        for marketplace in marketplaces:
            if marketplace.country_code != home and rng.random() > 0.6:
                continue
            roll = rng.random()
            status = (
                LISTING_ACTIVE
                if roll < 0.9
                else LISTING_INACTIVE
                if roll < 0.96
                else LISTING_SUPPRESSED
            )
            statuses.append((marketplace.country_code, status))
        asin = "B0" + ids.alnum(ids.derive(seed, "asin", seller_index, index), 8)
        products.append(
            Product(
                index=index,
                sku=f"{prefix}-{category.name[:3].upper()}-{index:05d}",
                asin=asin,
                fnsku="X00" + ids.alnum(ids.derive(seed, "fnsku", seller_index, index), 7)
                if channel == "AFN"
                else asin,
                title=f"{brand} {noun}, {colour}",
                brand=brand,
                colour=colour,
                category_index=category_index,
                size_tier=size_tier,
                unit_cost_usd=unit_cost,
                price_usd=price_usd,
                channel=channel,
                base_rate=base_rate,
                launch_day=launch_day,
                listing_status=tuple(statuses),
            )
        )
    return products
