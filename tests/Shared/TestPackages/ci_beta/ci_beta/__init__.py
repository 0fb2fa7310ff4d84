"""A test package with no dependencies."""
VALUE = 'beta'
