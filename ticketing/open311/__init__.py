"""Open311 GeoReport v2: other systems list services, file requests (cases) and track them."""
