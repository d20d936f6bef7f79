"""What belongs to no part of the network's work: settings, database, words, formats, pages, the edge."""
