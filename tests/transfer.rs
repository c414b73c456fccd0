//! `crm-admin customer|service import|export` against the test DynamoDB API: round trips
//! with awkward values, every bad row reported, Excel's encodings, resume after an
//! interruption, services found through the id map.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Output;

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "crm-admin failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file of this test's own, removed with its journal and id map when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(app: &TestApp, name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("{}{name}", app.prefix()));
        std::fs::write(&path, bytes).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn with_suffix(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.path())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", ".journal", ".ids.csv", ".rejects.csv"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn export(app: &TestApp, what: &str, format: &str) -> String {
    ok(&crm_admin(
        &app.prefix(),
        &[what, "export", "--isp", "1", "--format", format],
    ))
}

async fn names(app: &TestApp) -> Vec<String> {
    let r = app.call(ISP1_USER, "list", &[("rows_limit", "100")]).await;
    let mut names = r.texts("name");
    names.sort();
    names
}

#[tokio::test]
async fn export_then_import_into_an_empty_stack_gives_the_same_customers_and_services() {
    let from = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let awkward = [
        ("name", "O\"Brien, \"Jr\""),
        ("name", "=HYPERLINK(\"http://x\")"),
        ("name", "राहुल शर्मा"),
        ("name", "'Tis"),
        ("name", "@risk"),
    ];
    let mut ids = Vec::new();
    for (i, (k, v)) in awkward.iter().enumerate() {
        let notes = format!("line one\nline two, with \"quotes\"; and ; {i}");
        let mobile = format!("+91987654{i:04}");
        let zipcode = format!("00{i}12");
        let r = from
            .create(
                ISP1_USER,
                &[
                    (k, v),
                    ("notes", &notes),
                    ("mobile", &mobile),
                    ("zipcode", &zipcode),
                    ("resellerid", if i % 2 == 0 { "1" } else { "2" }),
                    ("surname", "-minus"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        ids.push(r.id());
    }
    // ISP 2's customer stays out of ISP 1's export.
    from.create(ISP2_USER, &[("resellerid", "3")]).await;
    let suspended = from
        .create_service(ISP1_USER, ids[0], "ravi@pppoe", &[("status", "Suspend")])
        .await;
    assert_eq!(suspended.status, 200, "{:?}", suspended.body);
    from.create_service(ISP1_USER, ids[0], "ravi2", &[("notes", "=1+1")])
        .await;
    from.create_service(ISP1_USER, ids[2], "RAHUL", &[]).await;

    let customers_csv = export(&from, "customer", "csv");
    let services_csv = export(&from, "service", "csv");
    let customers_json = export(&from, "customer", "json");
    assert_eq!(customers_csv.lines().next().unwrap().split(',').count(), 19);
    // Formulas are neutralised; ids and mobiles are written as they are.
    assert!(customers_csv.contains("'=HYPERLINK"), "{customers_csv}");
    assert!(customers_csv.contains("'@risk"));
    assert!(customers_csv.contains("'-minus"));
    assert!(customers_csv.contains(",+919876540001,"));
    assert!(services_csv.contains("'=1+1"));

    let to = spawn_app().await;
    let c = TempFile::new(&to, "customers.csv", customers_csv.as_bytes());
    let s = TempFile::new(&to, "services.csv", services_csv.as_bytes());
    let out = crm_admin(&to.prefix(), &["customer", "import", "--file", c.path()]);
    ok(&out);
    assert!(
        stderr(&out).contains("5 rows: created 5"),
        "{}",
        stderr(&out)
    );
    ok(&crm_admin(
        &to.prefix(),
        &["service", "import", "--file", s.path()],
    ));

    assert_eq!(export(&to, "customer", "csv"), customers_csv);
    assert_eq!(export(&to, "service", "csv"), services_csv);
    assert_eq!(export(&to, "customer", "json"), customers_json);
    assert_eq!(names(&to).await, names(&from).await);
    // Who created them in the first stack is kept (the ISP user, userid 5).
    let first = to.call(ISP1_USER, "list", &[("rows_limit", "1")]).await;
    assert_eq!(first.result()[0]["created_by"], "5", "{:?}", first.body);

    // What the API keeps stays right: counts, service counts, usernames, id counters.
    ok(&crm_admin(&to.prefix(), &["counters", "verify"]));
    let count = to.call(ISP1_USER, "list", &[("show_count", "1")]).await;
    assert_eq!(count.result(), 5, "{:?}", count.body);
    let id0 = ids[0].to_string();
    let refused = to.call(ISP1_USER, "delete", &[("customerid", &id0)]).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    let taken = to
        .create_service(ISP1_USER, ids[1], "Ravi@PPPoE", &[])
        .await;
    assert_eq!(taken.status, 409, "{:?}", taken.body);
    let new = to.create(ISP1_USER, &[("resellerid", "1")]).await;
    assert!(new.id() > *ids.iter().max().unwrap());
    let svc = to.create_service(ISP1_USER, ids[1], "fresh", &[]).await;
    assert!(svc.id() > suspended.id(), "{:?}", svc.body);
}

#[tokio::test]
async fn every_bad_row_is_reported_with_its_line_and_nothing_is_written() {
    let app = spawn_app().await;
    let taken = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let csv = format!(
        "id,ispid,resellerid,type,name,mobile,email,zipcode,state,city,street,notes\n\
         ,1,1,Individual,Good One,0987654321,a@example.com,00123,Goa,Panaji,Road,\"quoted\nnewline\"\n\
         ,1,1,Individual,Bad Mobile,12ab,b-at-example,00123,Goa,Panaji,Road,\n\
         ,1,9,Individual,No Reseller,0987654322,c@example.com,00123,Goa,Panaji,Road,\n\
         {taken},1,1,Individual,Id In Use,0987654323,d@example.com,00123,Goa,Panaji,Road,\n\
         ,1,1,Individual,Bad Email,0987654324,not-an-email,00123,Goa,Panaji,Road,\n\
         ,1,3,Individual,Other ISP,0987654325,e@example.com,00123,Goa,Panaji,Road,\n\
         ,1,1,Individual,Good Two,+44 20 7946 0958,f@example.com,00124,Goa,Panaji,Road,\n"
    );
    let file = TempFile::new(&app, "bad.csv", csv.as_bytes());
    let before = app.customer_count().await;
    let out = crm_admin(
        &app.prefix(),
        &["customer", "import", "--file", file.path()],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    for line in [
        // Every problem of a row, not only its first.
        "line 4: mobile: must be 6 to 15 digits; email:",
        "line 5: resellerid: reseller 9 does not exist",
        &format!("line 6: id: customer {taken} exists"),
        "line 7: email:",
        "line 8: resellerid: reseller 3 belongs to ISP 2",
        "5 rows refused: nothing was written",
    ] {
        assert!(err.contains(line), "{line:?} not in {err}");
    }
    assert_eq!(app.customer_count().await, before);
    assert!(!std::path::Path::new(&file.with_suffix(".journal")).exists());

    // --skip-invalid imports the good rows and writes the bad ones to fix.
    let rejects = file.with_suffix(".rejects.csv");
    let out = crm_admin(
        &app.prefix(),
        &[
            "customer",
            "import",
            "--file",
            file.path(),
            "--skip-invalid",
            "--rejects",
            &rejects,
        ],
    );
    assert!(stderr(&out).contains("created 2"), "{}", stderr(&out));
    assert_eq!(app.customer_count().await, before + 2);
    let names = names(&app).await;
    assert!(names.contains(&"Good One".to_owned()) && names.contains(&"Good Two".to_owned()));
    let mut r = csv::Reader::from_path(&rejects).unwrap();
    assert_eq!(r.headers().unwrap().iter().next_back(), Some("reason"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][4], "Bad Mobile");
    assert!(rows[0][12].starts_with("mobile:"), "{:?}", rows[0]);
}

#[tokio::test]
async fn excel_files_in_windows_1252_and_utf_16_keep_accents_leading_zeros_and_plus() {
    let app = spawn_app().await;
    // Excel's "CSV" on Western-European Windows: Windows-1252, ';' and a sep= line.
    let mut cp1252 = b"sep=;\r\nName;Type;Mobile;Email;Zipcode;State;City;Street\r\n".to_vec();
    cp1252.extend_from_slice(b"Ren\xe9e M\xfcller;Individual;+4915112345678;r@example.com;01067;Sachsen;Dresden;\"Stra\xdfe 1; Hof\"\r\n");
    let a = TempFile::new(&app, "cp1252.csv", &cp1252);
    let out = crm_admin(
        &app.prefix(),
        &[
            "customer",
            "import",
            "--file",
            a.path(),
            "--isp",
            "1",
            "--reseller",
            "1",
        ],
    );
    ok(&out);
    assert!(stderr(&out).contains("windows-1252"), "{}", stderr(&out));
    // Excel's "Unicode Text": UTF-16LE with a byte-order mark, tab-separated.
    let text = "name\ttype\tmobile\temail\tzipcode\tstate\tcity\tstreet\n\
                李小龍\tIndividual\t00852912345678\tl@example.com\t0000\tHK\tKowloon\tNathan Rd\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let b = TempFile::new(&app, "utf16.txt", &utf16);
    let out = crm_admin(
        &app.prefix(),
        &[
            "customer",
            "import",
            "--file",
            b.path(),
            "--isp",
            "1",
            "--reseller",
            "2",
        ],
    );
    ok(&out);
    assert!(stderr(&out).contains("UTF-16LE"), "{}", stderr(&out));

    let r = app.call(ISP1_USER, "list", &[("sort_field", "name")]).await;
    let rows = r.result().as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{:?}", r.body);
    assert_eq!(rows[0]["name"], "Renée Müller");
    assert_eq!(rows[0]["mobile"], "+4915112345678");
    assert_eq!(rows[0]["zipcode"], "01067");
    assert_eq!(rows[0]["street"], "Straße 1; Hof");
    assert_eq!(rows[1]["name"], "李小龍");
    assert_eq!(rows[1]["mobile"], "00852912345678");
    assert_eq!(rows[1]["zipcode"], "0000");
}

#[tokio::test]
async fn an_interrupted_import_resumes_with_the_same_ids_and_no_duplicates() {
    let app = spawn_app().await;
    let mut csv = "name,type,mobile,email,zipcode,state,city,street\n".to_owned();
    for i in 0..60 {
        csv.push_str(&format!(
            "Row {i:02},Individual,98765{i:05},r{i}@example.com,4030{i:02},Goa,Panaji,Road\n"
        ));
    }
    let file = TempFile::new(&app, "resume.csv", csv.as_bytes());
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "customer",
            "import",
            "--file",
            file.path(),
            "--isp",
            "1",
            "--reseller",
            "1",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |extra: &[&'static str]| {
        let a = args(extra);
        crm_admin(
            &app.prefix(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    // Interrupted after its first transaction (`store::bulk::BATCH` rows).
    let out = run(&["--stop-after", "10"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
    assert_eq!(
        isp_crm::store::bulk::BATCH,
        10,
        "--stop-after names a batch"
    );
    assert_eq!(app.customer_count().await, 10);

    let again = run(&[]);
    assert!(stderr(&again).contains("interrupted"), "{}", stderr(&again));
    let out = run(&["--resume"]);
    ok(&out);
    assert!(
        stderr(&out).contains("created 50, skipped 10"),
        "{}",
        stderr(&out)
    );
    let names = names(&app).await;
    let expected: Vec<String> = (0..60).map(|i| format!("Row {i:02}")).collect();
    assert_eq!(names, expected);
    // One block of 60 ids, in file order.
    let r = app.call(ISP1_USER, "list", &[("rows_limit", "100")]).await;
    let ids = r.ids();
    assert_eq!(ids.last().unwrap() - ids[0], 59);
    ok(&crm_admin(&app.prefix(), &["counters", "verify"]));

    let twice = run(&[]);
    assert!(
        stderr(&twice).contains("imported already"),
        "{}",
        stderr(&twice)
    );
    assert_eq!(app.customer_count().await, 60);
}

#[tokio::test]
async fn services_find_their_customers_through_the_id_map_and_claim_usernames() {
    let app = spawn_app().await;
    let existing = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    app.create_service(ISP1_USER, existing, "taken", &[]).await;
    let customers = "Client;Name;Type;Mobile;Email;Zip;State;City;Street\n\
                     C-001;First;Individual;0987654321;a@example.com;403001;Goa;Panaji;Road\n\
                     C-002;Second;Individual;0987654322;b@example.com;403001;Goa;Panaji;Road\n";
    let c = TempFile::new(&app, "old-customers.csv", customers.as_bytes());
    ok(&crm_admin(
        &app.prefix(),
        &[
            "customer",
            "import",
            "--file",
            c.path(),
            "--isp",
            "1",
            "--reseller",
            "2",
            "--map",
            "Client=old_id,Zip=zipcode",
        ],
    ));
    let map = std::fs::read_to_string(c.with_suffix(".ids.csv")).unwrap();
    assert!(map.starts_with("old_id,id\nC-001,"), "{map}");

    let services = "Client;Login;Plan;Status\n\
                    C-002;second@pppoe;Fiber 50M;Active\n\
                    C-001;first@pppoe;Fiber 100M;Suspend\n\
                    C-001;TAKEN;Fiber 100M;Active\n\
                    C-003;ghost;Fiber 100M;Active\n\
                    C-002;First@PPPoE;Fiber 50M;Active\n";
    let s = TempFile::new(&app, "old-services.csv", services.as_bytes());
    let ids_map = c.with_suffix(".ids.csv");
    let args = [
        "service",
        "import",
        "--file",
        s.path(),
        "--customer-ids",
        &ids_map,
        "--map",
        "Client=customerid,Login=username",
    ];
    let out = crm_admin(&app.prefix(), &args);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("line 4: username: TAKEN is in use"), "{err}");
    assert!(
        err.contains("line 5: customerid: C-003 is not in the customer id map"),
        "{err}"
    );
    assert!(
        err.contains("line 6: username: First@PPPoE appears twice"),
        "{err}"
    );

    let mut skip = args.to_vec();
    skip.push("--skip-invalid");
    ok(&crm_admin(&app.prefix(), &skip));
    let second: u64 = map
        .lines()
        .find_map(|l| l.strip_prefix("C-002,"))
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .call(
            ISP1_USER,
            "service/list",
            &[("customerid", &second.to_string())],
        )
        .await;
    let rows = r.result().as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{:?}", r.body);
    assert_eq!(rows[0]["username"], "second@pppoe");
    assert_eq!(rows[0]["resellerid"], 2);
    // The imported username is claimed as the API claims it.
    let dup = app
        .create_service(ISP1_USER, existing, "FIRST@pppoe", &[])
        .await;
    assert_eq!(dup.status, 409, "{:?}", dup.body);
}

#[tokio::test]
async fn a_seed_imported_without_a_journal_leaves_no_file_and_can_be_read_again() {
    let app = spawn_app().await;
    let json = r#"[{"id": 4001, "ispid": 1, "resellerid": 1, "type": "Individual", "name": "Seed",
        "mobile": "12345678", "email": "seed@example.com", "zipcode": "403001", "state": "Goa",
        "city": "Panaji", "street": "1st street"}]"#;
    let file = TempFile::new(&app, "seed.json", json.as_bytes());
    let args = [
        "customer",
        "import",
        "--file",
        file.path(),
        "--keep-counter",
        "--no-journal",
    ];
    ok(&crm_admin(&app.prefix(), &args));
    assert!(!std::path::Path::new(&file.with_suffix(".journal")).exists());
    // A fresh stack (make dev's) can be seeded from the same file again; here the id is taken.
    let again = crm_admin(&app.prefix(), &args);
    assert!(
        stderr(&again).contains("customer 4001 exists"),
        "{}",
        stderr(&again)
    );
}
