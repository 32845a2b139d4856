"""The HTTP edge shared by the API and the console: request guards, security headers, docs, errors."""
