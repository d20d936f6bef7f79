"""Training offers, nominations, allocation of seats, outcomes and reports."""
