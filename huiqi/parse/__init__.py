"""Reading what people type and what officials keep in Excel: one strict money core (:mod:`.money`), the cell
normalisers every import shares (:mod:`.values`) and one tolerant reader for workbooks and CSV (:mod:`.table`)."""
