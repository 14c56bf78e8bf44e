"""The hub's Django app: rounds, services, returns, their audit trail and publishing."""
