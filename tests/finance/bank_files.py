"""Bank statement CSVs as three kinds of bank write them, for the reader's and the page's tests."""

from __future__ import annotations

# A German bank: account details above the header, semicolons, decimal commas with thousands
# points, DD.MM.YYYY, Windows-1252 (ä, ü, €), a closing balance below the bookings.
GERMAN = (
    '"Kontonummer:";"DE12 3456 7890 1234 5678 90";\n'
    '"Von:";"01.07.2026";\n'
    '"Bis:";"31.07.2026";\n'
    '"Kontostand vom 31.07.2026:";"2.143,29 €";\n'
    "\n"
    '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";"Verwendungszweck";"Betrag (EUR)";\n'
    '"02.07.2026";"02.07.2026";"Gutschrift";"AMAZON PAYMENTS EUROPE S.C.A.";"Auszahlung 28471003921";"1.582,89";\n'
    '"03.07.2026";"03.07.2026";"Lastschrift";"Café Müller";"Kaffee";"-3,50";\n'
    '"03.07.2026";"03.07.2026";"Lastschrift";"Café Müller";"Kaffee";"-3,50";\n'
    '"06.07.2026";"06.07.2026";"Gutschrift";"AMAZON EU SARL";"Erstattung";"12,00";\n'
    '"Endsaldo";;;;;"2.143,29";\n'
).encode("cp1252")

# A US bank: commas, ISO dates, a decimal point with thousands commas (quoted), UTF-8 with its mark.
AMERICAN = (
    "\ufeffDate,Description,Amount,Balance\n"
    "2026-07-02,AMAZON.COM SERVICES LLC PAYOUT,582.89,1582.89\n"
    '2026-07-06,ACH DEBIT RENT,"-1,250.00",332.89\n'
    "2026-07-09,AMZN MKTP PAYMENTS,75.10,407.99\n"
).encode("utf-8")

# A British bank: tabs, money in and out in columns of their own, DD/MM/YYYY.
BRITISH = (
    b"Date\tDetails\tPaid in\tPaid out\tBalance\n"
    b"02/07/2026\tAMAZON PAYMENTS UK\t582.89\t\t1582.89\n"
    b"14/07/2026\tTESCO STORES\t\t12.40\t1570.49\n"
)
