"""The network's meetings: series, occurrences, agendas, invitations, minutes and action items."""
