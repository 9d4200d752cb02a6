"""The payments context's part of the API: top-ups through a gateway, receipts and monthly invoices."""
