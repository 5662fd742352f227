//! The checkup centre's day through `app()` and `oneshot`, on a real SQLite file: the
//! 委託元保険者一覧, the roster import (UTF-8 and CP932, a bad row reported by line), checks
//! matched to rows (a family sharing 記号・番号), the day's list, the CSV export, the audit,
//! and the simulator's normalised search.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use support::{Harness, Reply};

const DAY: &str = "20260401";

const ROSTER: &str = "受診券整理番号,保険者番号,記号,番号,枝番,氏名,氏名カナ,生年月日,性別,有効期限\r\n\
    26100000001,01130012,12345678,1001,,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,1980/4/15,男,20270331\r\n\
    26100000002,01130012,12345678,1001,,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ,1982/7/7,女,20270331\r\n\
    26100000003,0113001,1,2,,誤り　一郎,,1990/1/1,男,20270331\r\n\
    26100000004,00138057,世１２,34567,,佐藤　花子,ｻﾄｳ ﾊﾅｺ,1975/9/3,女,20270331\r\n";

async fn put_csv(h: &Harness, token: &str, day: &str, body: Vec<u8>) -> Reply {
    h.send(
        Request::builder()
            .method(Method::PUT)
            .uri(format!("/api/v1/rosters/{day}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "text/csv")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// `GET /api/v1/rosters/{DAY}`: the day's rows, checks and list.
async fn day_list(h: &Harness, token: &str) -> serde_json::Value {
    h.get(&format!("/api/v1/rosters/{DAY}"), token).await.json()
}

/// The `status` of each entry of a day's list, in order.
fn statuses(day: &serde_json::Value) -> Vec<&str> {
    day["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect()
}

fn taro() -> serde_json::Value {
    json!({"insurerNumber": "01130012", "insuredCardSymbol": "12345678",
           "insuredIdentificationNumber": "1001", "insuredBranchNumber": "00",
           "name": "山田　太郎", "nameKana": "ﾔﾏﾀﾞ ﾀﾛｳ", "birthdate": "19800415", "sex": "1"})
}

fn hanako() -> serde_json::Value {
    json!({"insurerNumber": "01130012", "insuredCardSymbol": "12345678",
           "insuredIdentificationNumber": "1001", "insuredBranchNumber": "01",
           "name": "山田　花子", "nameKana": "ﾔﾏﾀﾞ ﾊﾅｺ", "birthdate": "19820707", "sex": "2"})
}

#[tokio::test]
async fn the_contracted_insurers_are_kept_validated_and_audited() {
    let (h, token) = Harness::with_terminal().await;
    let r = h.get("/api/v1/contracted-insurers", &token).await;
    assert_eq!(r.json(), json!({"insurers": []}));
    let r = h
        .put(
            "/api/v1/contracted-insurers",
            &token,
            json!({"insurers": [{"insurerNumber": "０１１３００１２", "name": "協会けんぽ東京"},
                                     {"insurerNumber": "  138057"}]}),
        )
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"insurers": [{"insurerNumber": "01130012", "name": "協会けんぽ東京"},
                            {"insurerNumber": "138057"}]})
    );
    // A bad check digit refuses the whole list; the stored one stays.
    h.put(
        "/api/v1/contracted-insurers",
        &token,
        json!({"insurers": [{"insurerNumber": "01130013"}]}),
    )
    .await
    .assert_error(422, "MW0023");
    let r = h.get("/api/v1/contracted-insurers", &token).await;
    assert_eq!(r.json()["insurers"].as_array().unwrap().len(), 2);
    h.call(Method::GET, "/api/v1/contracted-insurers", None, None)
        .await
        .assert_error(401, "MW0002");
    let audit = h.audit(&token).await;
    assert!(audit.iter().any(|a| a["kind"] == "contracted-insurers"));
}

#[tokio::test]
async fn a_roster_imports_with_its_bad_row_reported_by_line() {
    let (h, token) = Harness::with_terminal().await;
    let r = put_csv(&h, &token, DAY, ROSTER.as_bytes().to_vec()).await;
    r.assert_status(StatusCode::OK);
    let v = r.json();
    assert_eq!(v["imported"], 3);
    assert_eq!(v["encoding"], "utf-8");
    assert_eq!(v["errors"][0]["line"], 4);
    assert_eq!(v["errors"][0]["codes"], json!(["insurer-number-invalid"]));
    let day = day_list(&h, &token).await;
    let rows = day["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["voucher"]["birthdate"], "19750903");
    assert_eq!(rows[2]["line"], 5);
    assert_eq!(statuses(&day), ["not-yet", "not-yet", "not-yet"]);
    // The file is the facility's: another day is empty.
    let other = h.get("/api/v1/rosters/20260402", &token).await.json();
    assert_eq!(other["rows"], json!([]));
}

#[tokio::test]
async fn cp932_rosters_import_and_unreadable_ones_are_refused() {
    let (h, token) = Harness::with_terminal().await;
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(ROSTER);
    let r = put_csv(&h, &token, DAY, sjis.into_owned()).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.json()["encoding"], "cp932");
    assert_eq!(r.json()["imported"], 3);
    put_csv(&h, &token, DAY, "氏名,番号\n山田,1\n".as_bytes().to_vec())
        .await
        .assert_error(422, "MW0036");
    put_csv(&h, &token, "20260230", ROSTER.as_bytes().to_vec())
        .await
        .assert_error(422, "MW0037");
    // A refused file leaves the day's roster as it was.
    let day = day_list(&h, &token).await;
    assert_eq!(day["rows"].as_array().unwrap().len(), 3);
    // Larger than the API's JSON limit, within the roster's.
    let mut big = ROSTER.to_owned();
    for i in 0..2000 {
        big.push_str(&format!(
            "27{i:09},01130012,9,{i},,受診　者{i},ｼﾞﾕｼﾝｼﾔ,1970/1/1,男,20270331\r\n"
        ));
    }
    assert!(big.len() > 64 * 1024);
    let r = put_csv(&h, &token, DAY, big.into_bytes()).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.json()["imported"], 2003);
}

async fn check(h: &Harness, token: &str, body: serde_json::Value) -> serde_json::Value {
    let r = h
        .post(&format!("/api/v1/rosters/{DAY}/checks"), token, body)
        .await;
    r.assert_status(StatusCode::CREATED);
    r.json()
}

#[tokio::test]
async fn checks_find_their_rows_and_make_the_days_list() {
    let (h, token) = Harness::with_terminal().await;
    put_csv(&h, &token, DAY, ROSTER.as_bytes().to_vec()).await;
    let day = day_list(&h, &token).await;
    let ids: Vec<i64> = day["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();

    // 花子 shares 記号・番号 with 太郎; her person finds her row.
    let c = check(
        &h,
        &token,
        json!({"operator": "受付A", "mode": "visual", "problems": [], "person": hanako()}),
    )
    .await;
    assert_eq!(c["rowId"], ids[1]);
    assert_eq!(c["match"], "numbers");
    assert_eq!(c["status"], "checked");
    // 太郎's voucher was expired: a problem.
    let c = check(&h, &token, json!({"operator": "受付A", "mode": "pin", "problems": ["voucher-expired"], "person": taro()})).await;
    assert_eq!(c["rowId"], ids[0]);
    assert_eq!(c["status"], "problem");
    // A queued 目視 check keeps the time it was done at the desk.
    let stranger = json!({"insurerNumber": "06270011", "insuredIdentificationNumber": "9",
                          "name": "通りすがり", "birthdate": "20000101", "sex": "1"});
    let c = check(
        &h,
        &token,
        json!({"operator": "バス1", "mode": "visual", "problems": [],
        "person": stranger, "queuedAt": "2026-04-01T00:30:00Z"}),
    )
    .await;
    assert_eq!(c["rowId"], serde_json::Value::Null);
    assert_eq!(c["status"], "not-on-roster");
    // A row of another day is refused.
    h.post(&format!("/api/v1/rosters/{DAY}/checks"), &token, json!({"operator": "受付A", "mode": "visual", "problems": [], "person": taro(), "rowId": 999_999}))
    .await
    .assert_error(404, "MW0038");
    // Bad input is a coded error.
    h.post(
        &format!("/api/v1/rosters/{DAY}/checks"),
        &token,
        json!({"operator": "", "mode": "visual", "problems": [], "person": taro()}),
    )
    .await
    .assert_error(400, "MW0001");

    let day = day_list(&h, &token).await;
    assert_eq!(
        statuses(&day),
        ["problem", "checked", "not-yet", "not-on-roster"]
    );
    assert_eq!(day["checks"][2]["queuedAt"], "2026-04-01T00:30:00Z");
    assert_eq!(
        day["checks"][1]["problemMessages"][0],
        "受診券の有効期限が切れています"
    );

    // Re-importing the roster keeps the checks, matched to the new rows.
    put_csv(&h, &token, DAY, ROSTER.as_bytes().to_vec()).await;
    let day = day_list(&h, &token).await;
    assert_eq!(
        statuses(&day),
        ["problem", "checked", "not-yet", "not-on-roster"]
    );

    // The audit has each change, and no name or number.
    let audit = h.audit(&token).await;
    let checks: Vec<&serde_json::Value> =
        audit.iter().filter(|a| a["kind"] == "day-check").collect();
    assert_eq!(checks.len(), 3);
    assert!(checks.iter().any(|a| a["errorCode"] == "voucher-expired"));
    assert_eq!(audit.iter().filter(|a| a["kind"] == "roster").count(), 2);
    let text = serde_json::to_string(&audit).unwrap();
    for secret in ["山田", "ﾔﾏﾀﾞ", "12345678", "19820707"] {
        assert!(!text.contains(secret), "{secret} in the audit");
    }
}

#[tokio::test]
async fn the_export_opens_in_excel_in_both_encodings() {
    let (h, token) = Harness::with_terminal().await;
    put_csv(&h, &token, DAY, ROSTER.as_bytes().to_vec()).await;
    check(
        &h,
        &token,
        json!({"operator": "受付A", "mode": "visual", "problems": [], "person": hanako()}),
    )
    .await;
    let r = h
        .get(&format!("/api/v1/rosters/{DAY}/export"), &token)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(r.body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("状態,受診券整理番号,氏名"));
    assert!(
        lines[1].starts_with("未確認,26100000001,山田　太郎,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("確認済,26100000002,山田　花子,"),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains(",目視,受付A,"), "{}", lines[2]);

    let r = h
        .get(
            &format!("/api/v1/rosters/{DAY}/export?encoding=cp932"),
            &token,
        )
        .await;
    assert_eq!(r.content_type(), "text/csv; charset=Shift_JIS");
    let (back, _, errors) = encoding_rs::SHIFT_JIS.decode(&r.body);
    assert!(!errors);
    assert_eq!(back, text);
    h.get(
        &format!("/api/v1/rosters/{DAY}/export?encoding=utf-16"),
        &token,
    )
    .await
    .assert_error(406, "MW0027");
}

#[tokio::test]
async fn issue_16_the_search_normalises_as_the_voucher_rules_allow() {
    let (h, token) = Harness::with_terminal().await;
    // The kokuho persona: 138057 / 世１２ / 34567 / 01, 1975-09-03.
    for (insurer, symbol, number) in [
        ("138057", "世１２", "34567"),
        ("00138057", "世12", "３４５６７"),
        ("  138057", "世 ⑫", "34567"),
    ] {
        let r = h
            .post(
                "/api/v1/searches",
                &token,
                json!({"insurerNumber": insurer, "insuredCardSymbol": symbol,
                    "insuredIdentificationNumber": number, "insuredBranchNumber": "01",
                    "birthdate": "19750903"}),
            )
            .await;
        r.assert_status(StatusCode::OK);
        let msg = r.xml();
        assert_eq!(msg.results().len(), 1, "{insurer} {symbol} {number}");
        assert_eq!(msg.results()[0].insurer_number.as_deref(), Some("138057"));
    }
}

#[tokio::test]
async fn the_pages_modules_are_served() {
    let h = Harness::new().await;
    for file in ["roster.js", "voucher.js", "queue.js"] {
        let r = h
            .call(Method::GET, &format!("/modules/{file}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{file}");
        assert_eq!(r.content_type(), "text/javascript; charset=utf-8");
    }
    let app = h.call(Method::GET, "/app.js", None, None).await;
    assert!(
        String::from_utf8(app.body)
            .unwrap()
            .contains("/modules/roster.js")
    );
    let r = h
        .call(Method::GET, "/modules/../Cargo.toml", None, None)
        .await;
    assert_ne!(r.status, StatusCode::OK);
    let r = h.call(Method::GET, "/modules/app.js", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
