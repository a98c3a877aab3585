"""Sentence boundaries: where one sentence ends inside a unit of text (boundaries), by the rules of a
language (languages, with its abbreviation lists in data/)."""
