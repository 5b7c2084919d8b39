"""Ingest: receive files, parse and normalise them, check them at the door, land them.

The modules follow the data flow: receive -> read_workbook / read_csv -> parse (text, numbers,
units, reporters) -> submission_checks (expectations/) -> land.
"""
