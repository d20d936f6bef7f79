"""Portal of the Pacific Region Cooperation Network in the Field of Peacekeeping."""
