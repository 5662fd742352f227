//! 和暦 dates (myna_core::wareki): era boundaries, 元年, leap days, invalid dates, parsing.

use myna_core::wareki::{
    Era, GregorianDate, Wareki, WarekiError, days_in_month, from_wareki, is_leap_year, to_wareki,
};

#[test]
fn documented_examples() {
    assert_eq!(to_wareki("20190501").unwrap(), "令和元年5月1日");
    assert_eq!(to_wareki("20190430").unwrap(), "平成31年4月30日");
    assert_eq!(to_wareki("19890107").unwrap(), "昭和64年1月7日");
}

#[test]
fn every_era_boundary() {
    let table = [
        ("18681022", Err(())),
        ("18681023", Ok("明治元年10月23日")),
        ("18690101", Ok("明治2年1月1日")),
        ("19120729", Ok("明治45年7月29日")),
        ("19120730", Ok("大正元年7月30日")),
        ("19261224", Ok("大正15年12月24日")),
        ("19261225", Ok("昭和元年12月25日")),
        ("19270101", Ok("昭和2年1月1日")),
        ("19890107", Ok("昭和64年1月7日")),
        ("19890108", Ok("平成元年1月8日")),
        ("19891231", Ok("平成元年12月31日")),
        ("19900101", Ok("平成2年1月1日")),
        ("20190430", Ok("平成31年4月30日")),
        ("20190501", Ok("令和元年5月1日")),
        ("20200101", Ok("令和2年1月1日")),
        ("20251015", Ok("令和7年10月15日")),
    ];
    for (date, expected) in table {
        match expected {
            Ok(w) => {
                assert_eq!(to_wareki(date).as_deref(), Ok(w), "{date}");
                // And back.
                assert_eq!(from_wareki(w).as_deref(), Ok(date), "{w}");
            }
            Err(()) => assert!(
                matches!(to_wareki(date), Err(WarekiError::BeforeMeiji(_))),
                "{date}"
            ),
        }
    }
}

#[test]
fn leap_days() {
    assert!(is_leap_year(2024));
    assert!(is_leap_year(2000));
    assert!(!is_leap_year(1900));
    assert!(!is_leap_year(2023));
    assert_eq!(days_in_month(2024, 2), 29);
    assert_eq!(days_in_month(1900, 2), 28);
    assert_eq!(days_in_month(2023, 13), 0);
    assert_eq!(to_wareki("20240229").unwrap(), "令和6年2月29日");
    assert_eq!(to_wareki("20000229").unwrap(), "平成12年2月29日");
    assert_eq!(to_wareki("19880229").unwrap(), "昭和63年2月29日");
    assert_eq!(
        to_wareki("20230229"),
        Err(WarekiError::InvalidDay {
            year: 2023,
            month: 2,
            day: 29
        })
    );
    assert!(matches!(
        to_wareki("19000229"),
        Err(WarekiError::InvalidDay { .. })
    ));
    assert!(Wareki::parse("令和6年2月29日").is_ok());
    assert!(Wareki::parse("令和5年2月29日").is_err());
}

#[test]
fn invalid_gregorian_dates() {
    assert_eq!(
        to_wareki("20240431"),
        Err(WarekiError::InvalidDay {
            year: 2024,
            month: 4,
            day: 31
        })
    );
    assert_eq!(
        to_wareki("20241301"),
        Err(WarekiError::InvalidMonth { month: 13 })
    );
    assert_eq!(
        to_wareki("20240001"),
        Err(WarekiError::InvalidMonth { month: 0 })
    );
    assert!(matches!(
        to_wareki("20240100"),
        Err(WarekiError::InvalidDay { day: 0, .. })
    ));
    assert_eq!(
        to_wareki("00000101"),
        Err(WarekiError::InvalidYear { year: 0 })
    );
    for bad in [
        "2024011",
        "202401011",
        "2024-01-01",
        "２０２４０１０１",
        "abcdefgh",
        "",
    ] {
        assert!(
            matches!(to_wareki(bad), Err(WarekiError::InvalidFormat { .. })),
            "{bad:?}"
        );
    }
    // Surrounding ASCII whitespace is fine.
    assert_eq!(to_wareki(" 20190501\n").unwrap(), "令和元年5月1日");
}

#[test]
fn gregorian_date_type() {
    let d = GregorianDate::new(2019, 5, 1).unwrap();
    assert_eq!((d.year(), d.month(), d.day()), (2019, 5, 1));
    assert_eq!(d.to_yyyymmdd(), "20190501");
    assert_eq!(d.to_string(), "2019-05-01");
    assert_eq!("2019-05-01".parse::<GregorianDate>().unwrap(), d);
    assert_eq!("20190501".parse::<GregorianDate>().unwrap(), d);
    assert!("2019-5-1".parse::<GregorianDate>().is_err());
    assert!(GregorianDate::new(10000, 1, 1).is_err());
    assert!(GregorianDate::new(2019, 2, 30).is_err());
    assert!(GregorianDate::new(2019, 4, 30).unwrap() < d);
    assert_eq!(d.to_wareki().unwrap().era(), Era::Reiwa);
}

#[test]
fn wareki_type_and_display() {
    let w = Wareki::new(Era::Reiwa, 1, 5, 1).unwrap();
    assert_eq!(w.to_string(), "令和元年5月1日");
    assert_eq!(w.to_short_string(), "R1.5.1");
    assert_eq!(
        (w.era(), w.year(), w.month(), w.day()),
        (Era::Reiwa, 1, 5, 1)
    );
    assert_eq!(GregorianDate::from(w).to_yyyymmdd(), "20190501");
    let h = Wareki::new(Era::Heisei, 31, 4, 30).unwrap();
    assert_eq!(h.to_short_string(), "H31.4.30");
    assert!(h < w);

    // Dates outside their era.
    for (era, y, m, d) in [
        (Era::Heisei, 31, 5, 1),
        (Era::Reiwa, 1, 4, 30),
        (Era::Showa, 64, 1, 8),
        (Era::Showa, 1, 12, 24),
        (Era::Meiji, 1, 10, 22),
        (Era::Taisho, 16, 1, 1),
        (Era::Reiwa, 0, 1, 1),
    ] {
        assert!(
            matches!(
                Wareki::new(era, y, m, d),
                Err(WarekiError::OutsideEra { .. })
            ),
            "{era}{y}年{m}月{d}日"
        );
    }
    assert!(matches!(
        Wareki::new(Era::Reiwa, 3, 2, 29),
        Err(WarekiError::InvalidDay { .. })
    ));
    assert!(Wareki::new(Era::Reiwa, u32::MAX, 1, 1).is_err());
}

#[test]
fn era_labels() {
    let labels: Vec<(&str, char)> = Era::ALL.iter().map(|e| (e.label(), e.short())).collect();
    assert_eq!(
        labels,
        [
            ("明治", 'M'),
            ("大正", 'T'),
            ("昭和", 'S'),
            ("平成", 'H'),
            ("令和", 'R')
        ]
    );
    assert_eq!(Era::from_name("平成"), Some(Era::Heisei));
    assert_eq!(Era::from_name("h"), Some(Era::Heisei));
    assert_eq!(Era::from_name("Ｒ"), Some(Era::Reiwa));
    assert_eq!(Era::from_name("慶応"), None);
    assert_eq!(Era::from_name("X"), None);
    assert_eq!(Era::Showa.next(), Some(Era::Heisei));
    assert_eq!(Era::Reiwa.next(), None);
    assert_eq!(Era::Heisei.start().to_yyyymmdd(), "19890108");
}

#[test]
fn parsing_wareki_strings() {
    let reiwa1 = Wareki::new(Era::Reiwa, 1, 5, 1).unwrap();
    for s in [
        "令和元年5月1日",
        "令和1年5月1日",
        "令和元年５月１日",
        "令和０１年０５月０１日",
        " 令和元年5月1日 ",
        "R1.5.1",
        "r1.5.1",
        "R01.05.01",
        "R1/5/1",
        "R1-5-1",
        "R元.5.1",
        "Ｒ１．５．１",
    ] {
        assert_eq!(Wareki::parse(s), Ok(reiwa1), "{s:?}");
    }
    assert_eq!(from_wareki("S64.1.7").unwrap(), "19890107");
    assert_eq!(from_wareki("明治45年7月29日").unwrap(), "19120729");

    for bad in [
        "令和元年5月",
        "令和年5月1日",
        "令和元年5月1日x",
        "R1.5",
        "R1.5.1.2",
        "",
        "2019.5.1",
    ] {
        assert!(
            matches!(Wareki::parse(bad), Err(WarekiError::InvalidWareki { .. })),
            "{bad:?}: {:?}",
            Wareki::parse(bad)
        );
    }
    assert_eq!(
        Wareki::parse("K1.5.1"),
        Err(WarekiError::UnknownEra("K".to_owned()))
    );
    assert!(matches!(
        Wareki::parse("平成31年5月1日"),
        Err(WarekiError::OutsideEra { .. })
    ));
}

#[test]
fn every_day_of_two_centuries_round_trips() {
    // 1868-10-23 … 2099-12-31: Gregorian → 和暦 → string → 和暦 → Gregorian is the identity.
    let mut count = 0;
    for year in 1868u32..=2099 {
        for month in 1..=12u32 {
            for day in 1..=u32::from(days_in_month(year as u16, month as u8)) {
                let date = GregorianDate::new(year, month, day).unwrap();
                let Ok(w) = date.to_wareki() else {
                    assert!(date < Era::Meiji.start());
                    continue;
                };
                assert_eq!(Wareki::parse(&w.to_string()), Ok(w));
                assert_eq!(Wareki::parse(&w.to_short_string()), Ok(w));
                assert_eq!(w.to_gregorian(), date);
                count += 1;
            }
        }
    }
    assert!(count > 84_000);
}
