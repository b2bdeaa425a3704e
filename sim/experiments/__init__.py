"""Running scenarios and experiment plans; storing, reporting and reproducing their results."""
