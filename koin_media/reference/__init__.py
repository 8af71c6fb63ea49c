"""Reference data: NTB regencies, KOIN communities and IKM sectors."""
