"""Lock files: corral.lock, making one, installing from one, and other tools' formats."""
