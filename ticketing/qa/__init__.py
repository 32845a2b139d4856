"""Quality review (质检): call transcripts of both sides, a checklist kept as data, reviewers' scores."""
