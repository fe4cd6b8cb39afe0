"""Record linkage: recognise who each imported row is about (person, household, enterprise).

Pure Python plus DuckDB/Splink for the probabilistic part; nothing here touches the store,
so the same code links an import, a dedupe of the sheet and the benchmark.
"""
