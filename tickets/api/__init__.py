"""The shop and internal REST API (``/api/v1/``): tickets, messages, ratings, customers and
inbound platform events. Registered on the router in ``csmanage.api``."""
