"""A test package only available as a source distribution."""
VALUE = 'gamma'
