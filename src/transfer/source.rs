//! Reading an import file: CSV as spreadsheets save it (encoding, separator, header
//! names), or today's JSON array, as rows of named text fields. A file is read once per
//! pass (checks, then writes), so it must be a file, not a stream.

use super::{TransferError, cells};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The text encoding of a CSV file: `auto` reads a byte-order mark, tells UTF-16 without
/// one by its zero bytes, and takes a file that is not valid UTF-8 as Windows-1252 (what
/// Excel's "CSV" saves on Western-European Windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextEncoding {
    #[default]
    Auto,
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "utf-16le")]
    Utf16Le,
    #[value(name = "utf-16be")]
    Utf16Be,
    #[value(name = "windows-1252")]
    Windows1252,
}

/// How to read an import file.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub encoding: TextEncoding,
    /// `None`: Excel's `sep=` line if there is one, else the most frequent of `,` `;` and
    /// tab in the header.
    pub delimiter: Option<u8>,
    /// Another CRM's column names → ours (`--map old=new,...`).
    pub map: Vec<(String, String)>,
}

/// One data row: its line in the file (of its first line, for a quoted field with
/// newlines), its non-empty fields by our names, and its cells as read (for a rejects file).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub fields: HashMap<String, String>,
    pub cells: Vec<String>,
}

#[derive(Debug)]
enum Format {
    Csv {
        encoding: &'static Encoding,
        delimiter: u8,
        /// Records before the header: Excel's `sep=;` line.
        skip: usize,
    },
    Json(Vec<serde_json::Map<String, serde_json::Value>>),
}

/// An opened import file, its format detected and its header read.
#[derive(Debug)]
pub struct Source {
    path: PathBuf,
    format: Format,
    /// The header as in the file.
    header: Vec<String>,
    /// Our field name for each column, `None` for a column we do not know.
    columns: Vec<Option<String>>,
}

impl Source {
    /// Opens `path`: JSON if it ends in `.json` (an array of flat objects), else CSV.
    pub fn open(path: &Path, opts: &SourceOptions) -> Result<Self, TransferError> {
        let io = |e: std::io::Error| TransferError::File(format!("{}: {e}", path.display()));
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(TransferError::File(format!(
                "{}: not a regular file (an import reads its file twice: save it to disk first)",
                path.display()
            )));
        }
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            let text = std::fs::read_to_string(path).map_err(io)?;
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&text)
                .map_err(|e| TransferError::File(format!("{}: {e}", path.display())))?;
            return Ok(Self {
                path: path.to_owned(),
                format: Format::Json(rows),
                header: Vec::new(),
                columns: Vec::new(),
            });
        }
        let encoding = match opts.encoding {
            TextEncoding::Auto => detect(path).map_err(io)?,
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Utf16Le => UTF_16LE,
            TextEncoding::Utf16Be => UTF_16BE,
            TextEncoding::Windows1252 => WINDOWS_1252,
        };
        let mut first = String::new();
        BufReader::new(decoded(path, encoding).map_err(io)?)
            .read_line(&mut first)
            .map_err(io)?;
        let first = first.trim_end_matches(['\r', '\n']);
        let sep_line = first.strip_prefix("sep=").and_then(|s| s.bytes().next());
        let delimiter = opts.delimiter.or(sep_line).unwrap_or_else(|| {
            [b',', b';', b'\t']
                .into_iter()
                .max_by_key(|d| first.bytes().filter(|b| b == d).count())
                .unwrap_or(b',')
        });
        let mut source = Self {
            path: path.to_owned(),
            format: Format::Csv {
                encoding,
                delimiter,
                skip: usize::from(sep_line.is_some()),
            },
            header: Vec::new(),
            columns: Vec::new(),
        };
        let mut reader = source.csv_reader().map_err(io)?;
        let header = reader
            .records()
            .nth(source.skip())
            .ok_or_else(|| TransferError::File(format!("{}: no header row", path.display())))?
            .map_err(|e| TransferError::File(format!("{}: {e}", path.display())))?;
        source.header = header.iter().map(|h| h.trim().to_owned()).collect();
        source.columns = columns(&source.header, &opts.map)?;
        Ok(source)
    }

    /// Today's JSON import format given as text: an array of flat objects.
    pub fn json_text(text: &str) -> Result<Self, TransferError> {
        let rows = serde_json::from_str(text)
            .map_err(|e| TransferError::File(format!("customers file: {e}")))?;
        Ok(Self {
            path: PathBuf::new(),
            format: Format::Json(rows),
            header: Vec::new(),
            columns: Vec::new(),
        })
    }

    fn skip(&self) -> usize {
        match self.format {
            Format::Csv { skip, .. } => skip,
            Format::Json(_) => 0,
        }
    }

    fn csv_reader(&self) -> std::io::Result<csv::Reader<DecodeReaderBytes<File, Vec<u8>>>> {
        let Format::Csv {
            encoding,
            delimiter,
            ..
        } = self.format
        else {
            return Err(std::io::Error::other("not a CSV file"));
        };
        Ok(csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(decoded(&self.path, encoding)?))
    }

    /// What was detected, for the operator: e.g. `CSV, windows-1252, ';'`.
    pub fn describe(&self) -> String {
        match &self.format {
            Format::Csv {
                encoding,
                delimiter,
                ..
            } => format!(
                "CSV, {}, separator {:?}",
                encoding.name(),
                char::from(*delimiter)
            ),
            Format::Json(rows) => format!("JSON, {} records", rows.len()),
        }
    }

    pub fn is_csv(&self) -> bool {
        matches!(self.format, Format::Csv { .. })
    }

    pub fn delimiter(&self) -> u8 {
        match self.format {
            Format::Csv { delimiter, .. } => delimiter,
            Format::Json(_) => b',',
        }
    }

    /// The header as in the file.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Our field names that some column maps to.
    pub fn has_field(&self, name: &str) -> bool {
        match &self.format {
            Format::Csv { .. } => self.columns.iter().flatten().any(|c| c == name),
            Format::Json(rows) => rows.iter().any(|r| r.contains_key(name)),
        }
    }

    /// Columns of the file that are none of `known`: ignored, and worth a warning.
    pub fn unknown_columns(&self, known: &[&str]) -> Vec<String> {
        self.header
            .iter()
            .zip(&self.columns)
            .filter(|(_, c)| c.as_deref().is_none_or(|c| !known.contains(&c)))
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// The data rows, from the start of the file: blank rows are skipped.
    pub fn rows(
        &self,
    ) -> Result<Box<dyn Iterator<Item = Result<Row, TransferError>> + '_>, TransferError> {
        match &self.format {
            Format::Json(rows) => Ok(Box::new(rows.iter().enumerate().map(|(i, r)| {
                let fields = r
                    .iter()
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::String(s) if !s.trim().is_empty() => {
                            Some((k.clone(), s.clone()))
                        }
                        serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                        _ => None,
                    })
                    .collect();
                Ok(Row {
                    line: i as u64 + 1,
                    fields,
                    cells: Vec::new(),
                })
            }))),
            Format::Csv { .. } => {
                let reader = self
                    .csv_reader()
                    .map_err(|e| TransferError::File(format!("{}: {e}", self.path.display())))?;
                let path = self.path.display().to_string();
                Ok(Box::new(
                    reader
                        .into_records()
                        .skip(self.skip() + 1)
                        .filter_map(move |r| match r {
                            Err(e) => Some(Err(TransferError::File(format!("{path}: {e}")))),
                            Ok(rec) if rec.iter().all(|c| c.trim().is_empty()) => None,
                            Ok(rec) => {
                                let line = rec.position().map_or(0, |p| p.line());
                                let cells: Vec<String> = rec.iter().map(str::to_owned).collect();
                                let fields = self
                                    .columns
                                    .iter()
                                    .zip(&cells)
                                    .filter_map(|(col, cell)| {
                                        let col = col.as_ref()?;
                                        let value = cells::restore(cell);
                                        (!value.trim().is_empty())
                                            .then(|| (col.clone(), value.into_owned()))
                                    })
                                    .collect();
                                Some(Ok(Row {
                                    line,
                                    fields,
                                    cells,
                                }))
                            }
                        }),
                ))
            }
        }
    }
}

/// Our field name for each header cell: mapped by `--map`, else the header lower-cased.
fn columns(
    header: &[String],
    map: &[(String, String)],
) -> Result<Vec<Option<String>>, TransferError> {
    for (old, _) in map {
        if !header.iter().any(|h| h == old) {
            return Err(TransferError::File(format!(
                "--map {old}=...: the file has no column {old:?} (its columns: {})",
                header.join(", ")
            )));
        }
    }
    let columns: Vec<Option<String>> = header
        .iter()
        .map(|h| {
            let ours = map
                .iter()
                .find(|(old, _)| old == h)
                .map_or_else(|| h.to_lowercase(), |(_, new)| new.clone());
            (!ours.is_empty()).then_some(ours)
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter().flatten() {
        if !seen.insert(c) {
            return Err(TransferError::File(format!(
                "two columns are read as {c:?}: rename or --map one of them"
            )));
        }
    }
    Ok(columns)
}

fn decoded(
    path: &Path,
    encoding: &'static Encoding,
) -> std::io::Result<DecodeReaderBytes<File, Vec<u8>>> {
    Ok(DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(File::open(path)?))
}

/// The encoding of a file: its byte-order mark; UTF-16 by its zero bytes; UTF-8 if the
/// whole file is valid UTF-8; else Windows-1252.
fn detect(path: &Path) -> std::io::Result<&'static Encoding> {
    let mut file = File::open(path)?;
    let mut head = vec![0u8; 4096];
    let len = read_full(&mut file, &mut head)?;
    head.truncate(len);
    if let Some((enc, _)) = Encoding::for_bom(&head) {
        return Ok(enc);
    }
    // ASCII text in UTF-16 has a zero byte beside every character.
    let zeros_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let half = head.len() / 2;
    if half > 0 && zeros_at(1) * 2 > half {
        return Ok(UTF_16LE);
    }
    if half > 0 && zeros_at(0) * 2 > half {
        return Ok(UTF_16BE);
    }
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(if carry.is_empty() {
                UTF_8
            } else {
                WINDOWS_1252
            });
        }
        carry.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            // A character cut by the end of the chunk: keep its start for the next.
            Err(e) if e.error_len().is_none() => {
                carry.drain(..e.valid_up_to());
            }
            Err(_) => return Ok(WINDOWS_1252),
        }
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
