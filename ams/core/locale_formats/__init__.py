"""How numbers and dates read, per style a user can choose (docs/architecture.md, Numbers and dates).

The product's text is English; what differs between sellers is how a number and a date are written.
Each style is a Django "language" whose code starts with ``en`` (so every message stays English)
and whose format module here sets only the separators and the date formats. Input formats are
Django's English ones for every style: date fields are ``<input type="date">`` (ISO in every browser).
One date format across the product: the short formats are the long ones.
"""
