"""The product's web server: report downloads now, the operator's campaign page next."""
