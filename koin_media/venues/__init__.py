"""Eduwisata venues (the Mandalika circuit, the Meninting Bike Park, …)."""
