"""Pages that read several domains."""
