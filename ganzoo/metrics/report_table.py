"""What the `ganzoo eval` tables of the measurement modules (`translation`,
`paired_translation`, `super_resolution_table`, ...) share: a row's cells formatted
column by column, and the protocol as lines under the table."""


def format_cells(values, formats):
    """Table cells of one row of `values` ({metric: value}): `formats` maps each
    column's metric to its format ("{:.3f}", "{:.1%}"), in column order; a cell is
    blank where its metric does not apply (missing or None)."""
    return ["" if values.get(metric) is None else spec.format(values[metric])
            for metric, spec in formats.items()]


def protocol_lines(report):
    """One line per protocol fact of `report["protocol"]`, for under the table."""
    return [f"{key}: {value}" for key, value in report["protocol"].items()]
