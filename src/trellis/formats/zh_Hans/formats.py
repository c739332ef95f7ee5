"""Simplified Chinese: amounts grouped by thousands with commas (1,234,567.00), as Chinese
banking and accounting software shows money; Django's default groups nothing. Every other
format is Django's own."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
