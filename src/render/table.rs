//! The terminal scorecard (comfy-table), one table per source.

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, Table};

use super::{
    format_delta, format_target, format_value, status_word, thousands, Document, Exporter,
};
use crate::engine::catalogue;
use crate::engine::targets::Status;
use crate::source::load::InputEntry;

pub struct TableExporter {
    /// Colour the status column (`--color`, NO_COLOR, CLICOLOR_FORCE, a terminal).
    pub color: bool,
}

/// The status word, coloured when `color` (also for the complaints table).
pub(crate) fn status_cell(status: Status, color: bool) -> Cell {
    let cell = Cell::new(status_word(status));
    if !color {
        return cell;
    }
    match status {
        Status::Pass => cell.fg(Color::Green),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Fail => cell.fg(Color::Red),
        Status::NoData => cell.fg(Color::DarkGrey),
        Status::NoTarget => cell,
    }
}

impl Exporter for TableExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let r = doc.report;
        let mut out = format!(
            "svcq report · {} · {} → {} ({}) · as of {}\ntargets: {}\n",
            r.period.label, r.period.from, r.period.to, r.period.timezone, r.as_of, r.targets
        );
        if let Some(p) = &r.previous_period {
            out.push_str(&format!(
                "compared with {} ({} → {})\n",
                p.label, p.from, p.to
            ));
        }
        for (name, entry) in &r.inputs {
            match entry {
                InputEntry::Read(s) => out.push_str(&format!(
                    "{name}: {} read, {} accepted, {} rejected{}\n",
                    thousands(s.read),
                    thousands(s.accepted),
                    thousands(s.rejected),
                    match (&s.rejects_file, s.rejected) {
                        (Some(f), n) if n > 0 => format!(" (see {f})"),
                        (None, n) if n > 0 => " (--rejects DIR writes them)".to_string(),
                        _ => String::new(),
                    }
                )),
                InputEntry::Skipped { skipped } => {
                    out.push_str(&format!("{name}: skipped ({skipped})\n"))
                }
            }
        }
        let split = r.by.is_some() || r.metrics.iter().any(|m| m.group.is_some());
        let compare = r.previous_period.is_some();
        let pending = r.metrics.iter().any(|m| m.pending.unwrap_or(0) > 0);
        for origin in catalogue::ORIGINS {
            let rows: Vec<_> = r
                .metrics
                .iter()
                .filter(|m| m.source == origin.name())
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            // The caller decided (ui::color_stdout): colour even when piped if asked.
            if self.color {
                table.enforce_styling();
            }
            let mut header = vec!["metric"];
            if split {
                header.push(r.by.as_deref().unwrap_or("segment"));
            }
            header.extend(["value", "n"]);
            if pending {
                header.push("pending");
            }
            header.extend(["target", "status"]);
            if compare {
                header.extend(["previous", "change"]);
            }
            table.set_header(header);
            for m in rows {
                let title = catalogue::find(m.id).map_or(m.id, |d| d.title);
                let mut cells = vec![Cell::new(format!("{title} ({})", m.id))];
                if split {
                    let label = match (&r.by, &m.group) {
                        (Some(by), Some(g)) if g.len() == 1 && g.contains_key(by) => g[by].clone(),
                        _ => m.group_label(),
                    };
                    cells.push(Cell::new(label));
                }
                cells.push(
                    Cell::new(format_value(m.unit, m.value)).set_alignment(CellAlignment::Right),
                );
                cells.push(Cell::new(thousands(m.n)).set_alignment(CellAlignment::Right));
                if pending {
                    let p = m.pending.filter(|p| *p > 0).map(thousands);
                    cells
                        .push(Cell::new(p.unwrap_or_default()).set_alignment(CellAlignment::Right));
                }
                cells.push(Cell::new(format_target(m.target.as_ref(), m.unit)));
                cells.push(status_cell(m.status, self.color));
                if compare {
                    cells.push(
                        Cell::new(format_value(m.unit, m.previous))
                            .set_alignment(CellAlignment::Right),
                    );
                    cells.push(Cell::new(format_delta(m.unit, m.delta)));
                }
                table.add_row(cells);
            }
            out.push_str(&format!(
                "\n{}\n{table}\n",
                catalogue::section_title(origin)
            ));
        }
        for note in &r.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        Ok(out)
    }
}
