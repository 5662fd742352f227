//! Insured records (資格情報), linked to the serial of the holder's user-authentication
//! certificate — the simulator's stand-in for the national system's link between a card and
//! an insurance record. Never linked to, nor holding, a 個人番号.
//!
//! Records come from the persona set (a new database) and from CSV files
//! (`myna-demo import-csv`, columns documented on [`InsuredRecord`] and in the README).

use std::io::Read;

pub use myna_core::oqs::InsuredRecord;
use rusqlite::{Connection, params};

use super::{StoreError, normalize_serial};

/// The CSV columns [`import_csv`] reads (a header row naming them is required; optional
/// columns may be left out).
pub fn csv_columns() -> &'static [&'static str] {
    InsuredRecord::COLUMNS
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A field's value is not valid for it.
    #[error("{field}: {reason} (found {value:?})")]
    Field {
        /// The column.
        field: &'static str,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why a CSV import failed. Nothing is imported unless every row is valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The CSV itself (syntax, an unknown or missing column).
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A row (1-based line number in the file) with an invalid value.
    #[error("line {line}: {source}")]
    Row {
        /// The line.
        line: u64,
        /// What is wrong.
        source: RecordError,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a record's shape: digits, dates and codes where the OQS model expects them, and
/// normalises the certificate serial.
pub fn validate(mut record: InsuredRecord) -> Result<InsuredRecord, RecordError> {
    if let Some(serial) = record
        .certificate_serial
        .take()
        .filter(|s| !s.trim().is_empty())
    {
        record.certificate_serial =
            Some(normalize_serial(&serial).map_err(|_| RecordError::Field {
                field: "certificate_serial",
                value: serial.clone(),
                reason: "not a hexadecimal serial number",
            })?);
    }
    one_of(
        "qualification_validity",
        &record.qualification_validity,
        &["1", "2", "3", "4", "5", "6"],
    )?;
    one_of(
        "insured_card_classification",
        &record.insured_card_classification,
        &["01", "02", "03", "04", "05", "06", "07", "A1"],
    )?;
    let insurer = record.insurer_number.trim();
    if !(insurer.len() == 6 || insurer.len() == 8) || !insurer.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error("insurer_number", insurer, "not 6 or 8 digits"));
    }
    record.insurer_number = insurer.to_owned();
    digits("insured_branch_number", &record.insured_branch_number, 2)?;
    one_of(
        "personal_family_classification",
        &record.personal_family_classification,
        &["1", "2"],
    )?;
    one_of("sex1", &record.sex1, &["1", "2", "3"])?;
    if let Some(sex2) = &record.sex2 {
        one_of("sex2", sex2, &["1", "2", "3"])?;
    }
    if record.name.trim().is_empty() {
        return Err(field_error("name", &record.name, "empty"));
    }
    date("birthdate", &record.birthdate)?;
    for (field, value) in [
        ("qualification_date", &record.qualification_date),
        ("disqualification_date", &record.disqualification_date),
        (
            "insured_certificate_issuance_date",
            &record.insured_certificate_issuance_date,
        ),
        ("insured_card_valid_date", &record.insured_card_valid_date),
        (
            "insured_card_expiration_date",
            &record.insured_card_expiration_date,
        ),
        ("elderly_certificate_date", &record.elderly_certificate_date),
        ("elderly_valid_start_date", &record.elderly_valid_start_date),
        ("elderly_valid_end_date", &record.elderly_valid_end_date),
        ("limit_certificate_date", &record.limit_certificate_date),
        ("limit_valid_start_date", &record.limit_valid_start_date),
        ("limit_valid_end_date", &record.limit_valid_end_date),
        ("limit_long_term_date", &record.limit_long_term_date),
    ] {
        if let Some(value) = value {
            date(field, value)?;
        }
    }
    for (field, value) in [
        (
            "insured_partial_contribution_ratio",
            &record.insured_partial_contribution_ratio,
        ),
        (
            "elderly_contribution_ratio",
            &record.elderly_contribution_ratio,
        ),
    ] {
        if let Some(value) = value {
            digits(field, value, 3)?;
        }
    }
    if let Some(v) = &record.preschool_classification {
        one_of("preschool_classification", v, &["1"])?;
    }
    if let Some(v) = &record.reason_of_loss {
        one_of("reason_of_loss", v, &["01", "02", "03", "99"])?;
    }
    if let Some(v) = &record.limit_classification {
        one_of("limit_classification", v, &["01", "02", "03"])?;
    }
    if let Some(v) = &record.limit_classification_flag {
        let ok = v.len() == 3
            && matches!(
                (&v[..1], v[1..].parse::<u8>()),
                ("A", Ok(1..=6)) | ("B", Ok(1..=10))
            );
        if !ok {
            return Err(field_error(
                "limit_classification_flag",
                v,
                "not A01–A06 or B01–B10",
            ));
        }
    }
    if let Some(v) = &record.limit_cons_time {
        digits("limit_cons_time", v, 14)?;
        date("limit_cons_time", &v[..8])?;
    }
    Ok(record)
}

fn field_error(field: &'static str, value: &str, reason: &'static str) -> RecordError {
    RecordError::Field {
        field,
        value: value.to_owned(),
        reason,
    }
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), RecordError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(field_error(
            field,
            value,
            "not a value of its OQS code table",
        ))
    }
}

fn digits(field: &'static str, value: &str, len: usize) -> Result<(), RecordError> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(field_error(field, value, "wrong number of digits"))
    }
}

/// Parses a Gregorian `yyyyMMdd` date.
pub fn parse_yyyymmdd(value: &str) -> Option<time::Date> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = value[..4].parse().ok()?;
    let month: u8 = value[4..6].parse().ok()?;
    let day: u8 = value[6..].parse().ok()?;
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn date(field: &'static str, value: &str) -> Result<(), RecordError> {
    parse_yyyymmdd(value)
        .map(|_| ())
        .ok_or_else(|| field_error(field, value, "not a yyyyMMdd date"))
}

/// Stores a (validated) record; returns its row id.
pub fn insert(conn: &Connection, record: &InsuredRecord) -> Result<i64, StoreError> {
    let placeholders: Vec<String> = (1..=InsuredRecord::COLUMNS.len())
        .map(|i| format!("?{i}"))
        .collect();
    let sql = format!(
        "INSERT INTO insured_records ({}) VALUES ({})",
        InsuredRecord::COLUMNS.join(", "),
        placeholders.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(record.values()))?;
    Ok(conn.last_insert_rowid())
}

/// The records linked to a certificate serial (stored form).
pub fn find_by_serial(conn: &Connection, serial: &str) -> Result<Vec<InsuredRecord>, StoreError> {
    select(conn, "certificate_serial = ?1 ORDER BY id", params![serial])
}

/// The records matching a number-based search, compared as the 記載要領 allow (the core's
/// [`myna_core::checkup::normalize`] keys, the same the browser module's 受診券照合 uses):
/// the insurer number with surrounding spaces ignored and a 国保 number written `00` + 6
/// digits equal to its 6 digits; 記号 and 番号 with widths, circled characters, dashes and
/// spaces folded (`世１２` = `世12`); branch and birth date exact.
pub fn find_by_numbers(
    conn: &Connection,
    insurer_number: &str,
    insured_card_symbol: &str,
    insured_identification_number: &str,
    insured_branch_number: &str,
    birthdate: &str,
) -> Result<Vec<InsuredRecord>, StoreError> {
    use myna_core::checkup::normalize::{insurer_key, symbol_key};
    let (insurer, symbol, number) = (
        insurer_key(insurer_number),
        symbol_key(insured_card_symbol),
        symbol_key(insured_identification_number),
    );
    let candidates = select(
        conn,
        "insured_branch_number = ?1 AND birthdate = ?2 ORDER BY id",
        params![insured_branch_number, birthdate],
    )?;
    Ok(candidates
        .into_iter()
        .filter(|r| {
            insurer_key(&r.insurer_number) == insurer
                && symbol_key(&r.insured_card_symbol) == symbol
                && symbol_key(&r.insured_identification_number) == number
        })
        .collect())
}

fn select(
    conn: &Connection,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<InsuredRecord>, StoreError> {
    let sql = format!(
        "SELECT {} FROM insured_records WHERE {condition}",
        InsuredRecord::COLUMNS.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A record from a row of [`InsuredRecord::COLUMNS`].
fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<InsuredRecord> {
    let values = (0..InsuredRecord::COLUMNS.len())
        .map(|i| row.get::<_, Option<String>>(i))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // The table's NOT NULL constraints keep the required columns filled.
    InsuredRecord::from_columns(values).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            InsuredRecord::COLUMNS
                .iter()
                .position(|c| *c == e.column)
                .unwrap_or(0),
            rusqlite::types::Type::Null,
            Box::new(e),
        )
    })
}

/// Imports records from CSV (UTF-8, a header row of [`csv_columns`] names; optional
/// columns may be omitted; an empty cell is an absent value). All rows are validated
/// first and stored as one unit: a file with a bad row imports nothing.
/// Returns the number of records stored.
pub fn import_csv(conn: &mut Connection, input: impl Read) -> Result<usize, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::None)
        .from_reader(input);
    let mut records = Vec::new();
    for row in reader.deserialize::<InsuredRecord>() {
        let record = row?;
        // Rows are counted from the header (line 1).
        let line = records.len() as u64 + 2;
        records.push(validate(record).map_err(|source| ImportError::Row { line, source })?);
    }
    super::atomically(conn, |tx| {
        for record in &records {
            insert(tx, record)?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    const CSV: &str = "certificate_serial,qualification_validity,insured_card_classification,insurer_number,insurer_name,insured_card_symbol,insured_identification_number,insured_branch_number,personal_family_classification,name,sex1,birthdate,insured_partial_contribution_ratio\n\
        0A:BC,1,01,01130012,全国健康保険協会東京支部,12-34,1001,00,1,山田　太郎,1,19800415,030\n\
        ,3,01,  138057,世田谷区,世１２,34567,01,1,佐藤　花子,2,19750903,\n";

    #[test]
    fn csv_rows_round_trip_through_the_table() {
        let (db, _) = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<(), ImportError> {
            assert_eq!(import_csv(c, CSV.as_bytes())?, 2);
            let by_serial = find_by_serial(c, "0ABC")?;
            assert_eq!(by_serial.len(), 1);
            assert_eq!(by_serial[0].insured_card_symbol, "12-34");
            assert_eq!(
                by_serial[0].insured_partial_contribution_ratio.as_deref(),
                Some("030")
            );
            assert_eq!(by_serial[0].address, None);
            let by_numbers = find_by_numbers(c, "  138057", "世１２", "34567", "01", "19750903")?;
            assert_eq!(by_numbers.len(), 1);
            assert_eq!(by_numbers[0].certificate_serial, None);
            assert_eq!(by_numbers[0].insured_partial_contribution_ratio, None);
            assert!(find_by_numbers(c, "138057", "世１２", "34567", "02", "19750903")?.is_empty());
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_bad_row_imports_nothing_and_names_its_line() {
        let bad = format!("{CSV}0D,1,01,01130012,x,s,n,0,1,名前,1,19800415,030\n");
        let (db, _) = Db::open_in_memory().unwrap();
        let err = db
            .call_blocking(|c| import_csv(c, bad.as_bytes()))
            .unwrap_err();
        match err {
            ImportError::Row {
                line,
                source: RecordError::Field { field, .. },
            } => {
                assert_eq!((line, field), (4, "insured_branch_number"));
            }
            other => panic!("{other:?}"),
        }
        let n: i64 = db
            .call_blocking(|c| {
                c.query_row("SELECT count(*) FROM insured_records", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn an_unknown_column_is_refused() {
        let (db, _) = Db::open_in_memory().unwrap();
        let err = db
            .call_blocking(|c| import_csv(c, "kojin_bango\n123456789012\n".as_bytes()))
            .unwrap_err();
        assert!(matches!(err, ImportError::Csv(_)), "{err:?}");
    }

    #[test]
    fn validation_catches_each_kind_of_bad_value() {
        let good = InsuredRecord {
            qualification_validity: "1".into(),
            insured_card_classification: "01".into(),
            insurer_number: "01130012".into(),
            insurer_name: "x".into(),
            insured_branch_number: "00".into(),
            personal_family_classification: "1".into(),
            name: "x".into(),
            sex1: "1".into(),
            birthdate: "19800415".into(),
            ..Default::default()
        };
        assert!(validate(good.clone()).is_ok());
        type Mutation = Box<dyn Fn(&mut InsuredRecord)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "qualification_validity",
                Box::new(|r| r.qualification_validity = "7".into()),
            ),
            (
                "insurer_number",
                Box::new(|r| r.insurer_number = "0113001".into()),
            ),
            ("birthdate", Box::new(|r| r.birthdate = "19800231".into())),
            ("sex1", Box::new(|r| r.sex1 = "0".into())),
            (
                "limit_classification_flag",
                Box::new(|r| r.limit_classification_flag = Some("A07".into())),
            ),
            (
                "certificate_serial",
                Box::new(|r| r.certificate_serial = Some("zz".into())),
            ),
            ("name", Box::new(|r| r.name = " ".into())),
        ];
        for (field, mutate) in cases {
            let mut bad = good.clone();
            mutate(&mut bad);
            match validate(bad) {
                Err(RecordError::Field { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
