"""Pages that read several domains: the public page and health, the dashboard, the configuration, the country brief,
the account.

Only this package and the top of the application (main, seeds, models) may read more than the domains below them."""
