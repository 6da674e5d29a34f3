"""Request files (requirements.txt; later environment.yml, pyproject) read into corral values."""
