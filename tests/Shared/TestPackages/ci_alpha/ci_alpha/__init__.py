"""A test package that imports its dependency, so a run proves both were installed."""
import ci_beta

VALUE = 'alpha+' + ci_beta.VALUE
