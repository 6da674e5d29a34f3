"""Integrations with other systems (Ray). Nothing else in corral imports this package."""
