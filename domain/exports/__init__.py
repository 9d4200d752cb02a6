"""Exporting a store's customers (all, a search's, or a segment's members) to CSV and XLSX files."""
