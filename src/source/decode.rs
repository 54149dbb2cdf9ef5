//! Bytes to UTF-8 text: the encoding of an export (stated, or detected from a
//! byte-order mark or from bytes that are not UTF-8), decoded as a stream (never a
//! second copy of the file in memory), and its delimiter (stated, or sniffed from
//! the header line).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// How a file's bytes become UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// UTF-8 already (a BOM is dropped with the header): read as it is.
    Utf8,
    Transcode(&'static Encoding),
}

impl Decoding {
    /// The encoding's name when it is not UTF-8, for the inputs report.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Decoding::Utf8 => None,
            Decoding::Transcode(e) => Some(e.name()),
        }
    }
}

/// The file's decoding: `stated`, else UTF-16 by its byte-order mark, else UTF-8 if
/// the first 64 KiB are valid UTF-8, else GB18030 (a superset of GBK, what Chinese
/// platforms and Excel in China export).
pub fn detect(path: &Path, stated: Option<&'static Encoding>) -> Result<Decoding> {
    if let Some(e) = stated {
        return Ok(if e == UTF_8 {
            Decoding::Utf8
        } else {
            Decoding::Transcode(e)
        });
    }
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    Ok(match head.as_slice() {
        [0xFF, 0xFE, ..] => Decoding::Transcode(UTF_16LE),
        [0xFE, 0xFF, ..] => Decoding::Transcode(UTF_16BE),
        _ => match std::str::from_utf8(&head) {
            Ok(_) => Decoding::Utf8,
            // Cut in the middle of a character at the end of the sample: still UTF-8.
            Err(e) if e.error_len().is_none() => Decoding::Utf8,
            Err(_) => Decoding::Transcode(GB18030),
        },
    })
}

/// The longest line read, so a file that is not an export (a binary dump, one
/// endless line) is a clear error in bounded memory rather than a record that
/// grows until the machine runs out.
pub const MAX_LINE_BYTES: u64 = 64 << 20;

/// The file as a stream of UTF-8 bytes, no line longer than [`MAX_LINE_BYTES`].
pub fn open(path: &Path, decoding: Decoding) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let text: Box<dyn Read + Send> = match decoding {
        Decoding::Utf8 => Box::new(file),
        Decoding::Transcode(e) => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(e))
                .bom_override(true)
                .build(file),
        ),
    };
    Ok(Box::new(LineLimit {
        inner: text,
        limit: MAX_LINE_BYTES,
        since_newline: 0,
        offset: 0,
    }))
}

/// A UTF-8 file as a stream from byte `offset` on (a part of a file split across
/// cores), with the same line limit as [`open`].
pub fn open_at(path: &Path, offset: u64) -> Result<Box<dyn Read + Send>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    file.seek(SeekFrom::Start(offset))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(LineLimit {
        inner: file,
        limit: MAX_LINE_BYTES,
        since_newline: 0,
        offset,
    }))
}

/// Fails the read once a line passes `limit` bytes. Only the ends of each buffer
/// are scanned (lines are far shorter than a buffer), so it costs nothing
/// measurable.
struct LineLimit<R> {
    inner: R,
    limit: u64,
    since_newline: u64,
    offset: u64,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        let too_long = match data.iter().position(|&b| b == b'\n') {
            None => {
                self.since_newline += n as u64;
                self.since_newline > self.limit
            }
            Some(first) => {
                let last = data.iter().rposition(|&b| b == b'\n').unwrap_or(first);
                let inner_long = (n as u64) > self.limit
                    && data
                        .get(first + 1..last)
                        .unwrap_or_default()
                        .split(|&b| b == b'\n')
                        .any(|l| l.len() as u64 > self.limit);
                let long = self.since_newline + first as u64 > self.limit || inner_long;
                self.since_newline = (n - last - 1) as u64;
                long || self.since_newline > self.limit
            }
        };
        self.offset += n as u64;
        if too_long {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a line longer than {} MiB before byte {}: not a delimited text export",
                    self.limit >> 20,
                    self.offset
                ),
            ));
        }
        Ok(n)
    }
}

/// The delimiter of the header line among `,` `;` tab `|`: the one that occurs most
/// often outside quotes (a comma when none does).
pub fn sniff_delimiter(path: &Path, decoding: Decoding) -> Result<u8> {
    let mut line = Vec::new();
    BufReader::new(open(path, decoding)?.take(1 << 20)).read_until(b'\n', &mut line)?;
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in &line {
        match b {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b',' => counts[0] += 1,
            b';' => counts[1] += 1,
            b'\t' => counts[2] += 1,
            b'|' => counts[3] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t', b'|'];
    let best = (0..4)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    Ok(if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    })
}

/// The 1-based physical line on which each record starts, from the byte offsets
/// where the parser began them (ascending). The csv crate's own line count is off
/// on CRLF files (a record's position is taken before the `\n` of the previous
/// line ending) and after blank lines, so the line endings and blank lines at an
/// offset are skipped here and every `\n` before the record is counted, including
/// those inside quoted fields.
pub fn physical_lines(path: &Path, encoding: Decoding, starts: &[u64]) -> Result<Vec<u64>> {
    let mut reader = BufReader::with_capacity(1 << 16, open(path, encoding)?);
    let (mut offset, mut newlines) = (0u64, 0u64);
    let mut lines = Vec::with_capacity(starts.len());
    for &start in starts {
        // Count the newlines up to the record's offset…
        while offset < start {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min((start - offset) as usize);
            newlines += buf[..take].iter().filter(|&&b| b == b'\n').count() as u64;
            reader.consume(take);
            offset += take as u64;
        }
        // …then skip the line endings and blank lines before its first byte.
        loop {
            let buf = reader.fill_buf()?;
            let (len, skip) = (
                buf.len(),
                buf.iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count(),
            );
            newlines += buf[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
            reader.consume(skip);
            offset += skip as u64;
            if skip < len || len == 0 {
                break;
            }
        }
        lines.push(newlines + 1);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        f
    }

    #[test]
    fn detects_and_decodes() {
        let (gbk, _, _) = GB18030.encode("工单编号,创建时间\n1,2026-11-16\n");
        let f = file(&gbk);
        assert_eq!(
            detect(f.path(), None).unwrap(),
            Decoding::Transcode(GB18030)
        );
        let mut text = String::new();
        open(f.path(), Decoding::Transcode(GB18030))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("工单编号,创建时间"));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "a\tb\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let f = file(&utf16);
        let decoding = detect(f.path(), None).unwrap();
        assert_eq!(decoding, Decoding::Transcode(UTF_16LE));
        assert_eq!(sniff_delimiter(f.path(), decoding).unwrap(), b'\t');
        let f = file("\u{feff}a;b;\"c,d\"\n".as_bytes());
        assert_eq!(detect(f.path(), None).unwrap(), Decoding::Utf8);
        assert_eq!(sniff_delimiter(f.path(), Decoding::Utf8).unwrap(), b';');
        let f = file(b"only\n");
        assert_eq!(sniff_delimiter(f.path(), Decoding::Utf8).unwrap(), b',');
    }

    #[test]
    fn an_endless_line_is_an_error() {
        let read = |text: &'static [u8], limit| {
            let mut reader = LineLimit {
                inner: text,
                limit,
                since_newline: 0,
                offset: 0,
            };
            reader.read_to_end(&mut Vec::new())
        };
        // A long line inside the buffer, at its start, at its end.
        assert!(read(b"a,b\nccccccccc\nd", 4).is_err());
        assert!(read(b"ccccccccc\nd", 4).is_err());
        assert!(read(b"a\nccccccccc", 4).is_err());
        assert!(read(b"a,b\ncccc\ndddd\n", 4).is_ok());
        // Across reads: a reader that hands out one byte at a time.
        let mut slow = LineLimit {
            inner: std::io::Read::chain(&b"abc"[..], &b"de\n"[..]),
            limit: 4,
            since_newline: 0,
            offset: 0,
        };
        let mut byte = [0u8; 1];
        let mut failed = false;
        for _ in 0..6 {
            if slow.read(&mut byte).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
