//! Export of an ISP's (or a reseller's) customers or services, page by page (bounded
//! memory at any size), as CSV that spreadsheets open safely or as the JSON array that
//! import reads.

use super::{TransferError, cells, customers, services};
use crate::domain::customer::Customer;
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::service::Service;
use crate::store::plan::{Access, CustomerQuery, Page, Part, Resume, ServiceQuery};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::io::Write;

/// Records per read: one Query page.
const PAGE: i32 = 200;

/// Columns written as they are: validated as numbers, or as a mobile (`+` and digits), so
/// a spreadsheet reads them as the numbers they are and never as a formula.
const AS_IS: [&str; 5] = ["id", "ispid", "resellerid", "customerid", "mobile"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Which records: an ISP's, or one reseller's of it.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub isp: IspId,
    pub reseller: Option<ResellerId>,
}

impl Selection {
    fn part(self) -> Part {
        match self.reseller {
            Some(reseller) => Part::Reseller {
                isp: self.isp,
                reseller,
            },
            None => Part::Isp(self.isp),
        }
    }
}

/// Writes records one at a time in `format`.
struct Out<W: Write> {
    format: Format,
    columns: &'static [&'static str],
    csv: Option<csv::Writer<W>>,
    json: Option<W>,
    written: u64,
}

impl<W: Write> Out<W> {
    fn new(
        mut w: W,
        format: Format,
        columns: &'static [&'static str],
        bom: bool,
    ) -> Result<Self, TransferError> {
        if bom && format == Format::Csv {
            w.write_all("\u{feff}".as_bytes())?;
        }
        let mut out = Self {
            format,
            columns,
            csv: None,
            json: None,
            written: 0,
        };
        match format {
            Format::Csv => {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(columns)?;
                out.csv = Some(c);
            }
            Format::Json => {
                w.write_all(b"[")?;
                out.json = Some(w);
            }
        }
        Ok(out)
    }

    fn record(&mut self, record: &impl Serialize) -> Result<(), TransferError> {
        let value =
            serde_json::to_value(record).map_err(|e| TransferError::Output(e.to_string()))?;
        let serde_json::Value::Object(map) = value else {
            return Err(TransferError::Output("a record is not an object".into()));
        };
        if let Some(c) = self.csv.as_mut() {
            let row: Vec<String> = self
                .columns
                .iter()
                .map(|col| {
                    let text = match map.get(*col) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    };
                    match AS_IS.contains(col) {
                        true => text,
                        false => cells::neutralise(&text).into_owned(),
                    }
                })
                .collect();
            c.write_record(&row)?;
        }
        if let Some(w) = self.json.as_mut() {
            let map: serde_json::Map<_, _> =
                map.into_iter().filter(|(_, v)| !v.is_null()).collect();
            w.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut *w, &map)
                .map_err(|e| TransferError::Output(e.to_string()))?;
        }
        self.written += 1;
        Ok(())
    }

    fn finish(self) -> Result<u64, TransferError> {
        if let Some(mut c) = self.csv {
            c.flush()?;
        }
        if let Some(mut w) = self.json {
            w.write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
            w.flush()?;
        }
        debug_assert!(matches!(self.format, Format::Csv | Format::Json));
        Ok(self.written)
    }
}

async fn check_reseller(store: &Store, sel: Selection) -> Result<(), TransferError> {
    if let Some(r) = sel.reseller {
        match store.get_reseller(r).await? {
            Some(rec) if rec.ispid == sel.isp => {}
            _ => {
                return Err(TransferError::File(format!(
                    "reseller {r} is not a reseller of ISP {}",
                    sel.isp
                )));
            }
        }
    }
    Ok(())
}

/// Writes every record of a query, page after page from the first (`read` reads the page
/// that starts at its argument); returns how many.
/// (A plain closure returning a future: an `async` closure here sends rustc's release
/// build into a query cycle through the entity tables' constants.)
async fn write_all<W: Write, I, R: Serialize, F: Future<Output = Result<Page<I>, StoreError>>>(
    mut out: Out<W>,
    mut read: impl FnMut(Option<Resume>) -> F,
    record: impl Fn(I) -> R,
) -> Result<u64, TransferError> {
    let mut start = None;
    loop {
        let page = read(start).await?;
        for item in page.items {
            out.record(&record(item))?;
        }
        start = page.next;
        if start.is_none() {
            return out.finish();
        }
    }
}

/// Writes the selected customers in id order; returns how many.
pub async fn customers(
    store: &Store,
    sel: Selection,
    w: impl Write,
    format: Format,
    bom: bool,
) -> Result<u64, TransferError> {
    check_reseller(store, sel).await?;
    let key = CustomerQuery::new(sel.part(), Access::Scope);
    let out = Out::new(w, format, &customers::COLUMNS, bom)?;
    let key = &key;
    let read = move |start| store.query_customers(key, true, Some(PAGE), start);
    write_all(out, read, Customer::from).await
}

/// Writes the selected services in id order; returns how many.
pub async fn services(
    store: &Store,
    sel: Selection,
    w: impl Write,
    format: Format,
    bom: bool,
) -> Result<u64, TransferError> {
    check_reseller(store, sel).await?;
    let key = ServiceQuery::scope(sel.part());
    let out = Out::new(w, format, &services::COLUMNS, bom)?;
    let key = &key;
    let read = move |start| store.query_services(key, true, Some(PAGE), start);
    write_all(out, read, Service::from).await
}
