"""The labelled evaluation set of the matching service and the runner that scores it."""
