//! Certificates, CSRs and encrypted PKCS#8 against the reference: every
//! certificate and request jwt-edge makes is parsed and verified by the
//! openssl CLI, inspection agrees with `openssl x509` on certificates openssl
//! made (expired, not yet valid, CA-signed chain, RSA-PSS, P-384), and
//! encrypted keys cross both ways with `openssl pkcs8`.

mod common;

use common::{expect_code, genpkey, openssl, Scratch};
use jwt_edge::cert::make::{
    certificate_pem, create_certificate, create_csr, csr_pem, CertHash, CertificateOptions,
};
use jwt_edge::cert::{
    certificates_from_pem, inspect_certificate, inspect_chain, key_matches_certificate,
    ValidityStatus,
};
use jwt_edge::key::pem::{decode_pem, decode_pem_with_passphrase};
use jwt_edge::{ErrorCode, Jwk, Key, PemFormat, PemKind};

const SUBJECT: &str = "CN=acme token issuer,O=Acme,C=US";
const NOW: i64 = 1_750_000_000;

fn options(hash: Option<CertHash>) -> CertificateOptions {
    CertificateOptions {
        subject: SUBJECT.into(),
        not_before: NOW,
        days: 365,
        subject_alt_names: vec![
            "DNS:issuer.example.com".into(),
            "URI:https://issuer.example.com/oauth2/token".into(),
            "email:security@example.com".into(),
        ],
        hash,
    }
}

fn private_key(pem: &str) -> Key {
    decode_pem(pem, None).expect("openssl key").key
}

fn text_of(output: Vec<u8>) -> String {
    String::from_utf8(output).expect("openssl prints text")
}

/// One key kind: certificate and CSR made, and openssl agrees with them.
fn check_made(tag: &str, key_pem: &str, hash: Option<CertHash>, signature_algorithm: &str) {
    let dir = Scratch::new(tag);
    let key = private_key(key_pem);
    let der = create_certificate(&key, &options(hash)).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let cert = dir.write("c.pem", &certificate_pem(&der));

    let text = text_of(openssl(&["x509", "-in", &cert, "-noout", "-text"]));
    for expected in [
        signature_algorithm,
        "CA:FALSE",
        "Digital Signature",
        "X509v3 Subject Key Identifier",
        "DNS:issuer.example.com",
        "URI:https://issuer.example.com/oauth2/token",
        "email:security@example.com",
    ] {
        assert!(text.contains(expected), "{tag}: {expected:?} in\n{text}");
    }
    assert!(
        !text.contains("Non Repudiation"),
        "{tag}: digitalSignature only"
    );
    let subject = text_of(openssl(&[
        "x509", "-in", &cert, "-noout", "-subject", "-issuer", "-nameopt", "RFC2253",
    ]));
    assert_eq!(
        subject,
        format!("subject={SUBJECT}\nissuer={SUBJECT}\n"),
        "{tag}"
    );
    // The self-signed signature verifies.
    let verified = text_of(openssl(&[
        "verify",
        "-attime",
        &(NOW + 60).to_string(),
        "-CAfile",
        &cert,
        &cert,
    ]));
    assert_eq!(verified.trim(), format!("{cert}: OK"), "{tag}");
    // The certificate's key is the key's SPKI, byte for byte.
    let pubkey = text_of(openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]));
    assert_eq!(pubkey, key.to_pem(Some(PemFormat::Spki)).unwrap(), "{tag}");
    // A random positive serial of at least 64 bits.
    let serial = text_of(openssl(&["x509", "-in", &cert, "-noout", "-serial"]));
    let serial = serial.trim().trim_start_matches("serial=");
    assert!(serial.len() >= 16, "{tag}: serial {serial}");
    let dates = text_of(openssl(&[
        "x509", "-in", &cert, "-noout", "-dates", "-dateopt", "iso_8601",
    ]));
    assert!(
        dates.contains("notBefore=2025-06-15 15:06:40Z"),
        "{tag}: {dates}"
    );
    assert!(
        dates.contains("notAfter=2026-06-15 15:06:40Z"),
        "{tag}: {dates}"
    );

    // Inspection of our own certificate agrees with openssl.
    let info = inspect_certificate(&der, NOW + 60).unwrap();
    assert_eq!(info.subject, SUBJECT);
    assert_eq!(info.serial_hex, serial);
    assert!(info.is_self_signed(), "{tag}");
    assert_eq!(info.status, ValidityStatus::Valid);
    assert_eq!(info.is_ca, Some(false));
    assert_eq!(info.key_usage, vec!["digitalSignature".to_string()]);
    assert_eq!(info.subject_alt_names.len(), 3);
    assert_eq!(info.signature_algorithm, signature_algorithm);
    assert_fingerprints(&cert, &info);
    assert!(key_matches_certificate(&key, &der).unwrap(), "{tag}");

    // The JWK of the certificate carries x5c and x5t#S256.
    let jwk = Jwk::from_pem(&certificate_pem(&der), None).unwrap();
    assert_eq!(jwk.x5t_s256.as_deref(), Some(info.x5t_s256.as_str()));
    assert_eq!(jwk.x5c.as_ref().map(Vec::len), Some(1));
    assert_eq!(jwk.key(), &key.to_public().unwrap());

    // The CSR: openssl verifies its signature and reads subject and SANs.
    let csr = create_csr(&key, SUBJECT, &options(None).subject_alt_names, hash).unwrap();
    let request = dir.write("r.pem", &csr_pem(&csr));
    openssl(&["req", "-in", &request, "-verify", "-noout"]);
    let text = text_of(openssl(&[
        "req", "-in", &request, "-noout", "-text", "-nameopt", "RFC2253",
    ]));
    assert!(
        text.contains(&format!("Subject: {SUBJECT}")),
        "{tag}: {text}"
    );
    assert!(text.contains("DNS:issuer.example.com"), "{tag}: {text}");
    let csr_key = text_of(openssl(&["req", "-in", &request, "-noout", "-pubkey"]));
    assert_eq!(csr_key, key.to_pem(Some(PemFormat::Spki)).unwrap(), "{tag}");
}

fn assert_fingerprints(cert_path: &str, info: &jwt_edge::cert::CertificateInfo) {
    for (digest, ours) in [
        ("-sha1", &info.sha1_fingerprint),
        ("-sha256", &info.sha256_fingerprint),
    ] {
        let printed = text_of(openssl(&[
            "x509",
            "-in",
            cert_path,
            "-noout",
            "-fingerprint",
            digest,
        ]));
        // "sha1 Fingerprint=AB:CD:..."
        let (_, value) = printed.trim().split_once('=').expect("fingerprint line");
        assert_eq!(value, ours, "{digest}");
    }
}

#[test]
fn rsa_certificates_with_every_hash() {
    let key = genpkey("RSA", &["rsa_keygen_bits:2048"]);
    check_made("rsa256", &key, None, "sha256WithRSAEncryption");
    check_made(
        "rsa384",
        &key,
        Some(CertHash::Sha384),
        "sha384WithRSAEncryption",
    );
    check_made(
        "rsa512",
        &key,
        Some(CertHash::Sha512),
        "sha512WithRSAEncryption",
    );
}

#[test]
fn rsa_4096_certificate() {
    let key = genpkey("RSA", &["rsa_keygen_bits:4096"]);
    check_made("rsa4096", &key, None, "sha256WithRSAEncryption");
}

#[test]
fn p256_certificate() {
    let key = genpkey("EC", &["ec_paramgen_curve:P-256"]);
    check_made("p256", &key, None, "ecdsa-with-SHA256");
}

#[test]
fn p384_certificate() {
    let key = genpkey("EC", &["ec_paramgen_curve:P-384"]);
    check_made("p384", &key, None, "ecdsa-with-SHA384");
}

#[test]
fn ed25519_certificate() {
    let key = genpkey("ED25519", &[]);
    check_made("ed25519", &key, None, "ED25519");
}

#[test]
fn certificates_need_a_usable_private_key_and_sane_options() {
    let p256 = private_key(&genpkey("EC", &["ec_paramgen_curve:P-256"]));
    expect_code(
        create_certificate(&p256.to_public().unwrap(), &options(None)),
        ErrorCode::InvalidArgument,
    );
    expect_code(
        create_certificate(&Key::secret(&[7; 32]).unwrap(), &options(None)),
        ErrorCode::NotSupported,
    );
    expect_code(
        create_certificate(&p256, &options(Some(CertHash::Sha512))),
        ErrorCode::InvalidArgument,
    );
    let with = |change: &dyn Fn(&mut CertificateOptions)| {
        let mut options = options(None);
        change(&mut options);
        create_certificate(&p256, &options)
    };
    // Hostile input: a 1 MB subject, 10,000 SANs, odd subjects.
    let error = expect_code(
        with(&|o| o.subject = format!("CN={}", "a".repeat(1 << 20))),
        ErrorCode::InvalidArgument,
    );
    assert!(error.message().contains("limit"), "{error}");
    let error = expect_code(
        with(&|o| o.subject_alt_names = (0..10_000).map(|i| format!("DNS:h{i}.example")).collect()),
        ErrorCode::InvalidArgument,
    );
    assert!(error.message().contains("10000"), "{error}");
    for subject in [
        "",
        "CN",
        "=x",
        "CN=a,",
        ",,,",
        "XX=1",
        "CN=\\",
        "CN=#zz",
        "1.2.3=x",
        "CN=a+",
        "CN=#",
        "CN=#0",
        "+",
        "=",
        "CN==",
        "CN=a\\2",
        "2.5.4.3=#0c0161",
        "2.5.4.3=#0c05",
        "C=toolong",
        "CN=\u{0}",
        "CN=é,O=ü",
        "CN=a+CN=b",
        "0.0=x",
        "CN=a\\,b",
    ] {
        if let Err(error) = with(&|o| o.subject = subject.into()) {
            assert_eq!(
                error.code(),
                ErrorCode::InvalidArgument,
                "{subject:?}: {error}"
            );
        }
    }
    expect_code(with(&|o| o.days = 0), ErrorCode::InvalidArgument);
    expect_code(with(&|o| o.not_before = -1), ErrorCode::InvalidArgument);
    expect_code(
        with(&|o| o.subject_alt_names = vec!["DNS:bad name".into()]),
        ErrorCode::InvalidArgument,
    );
    expect_code(
        with(&|o| o.subject_alt_names = vec!["IP:not-an-ip".into()]),
        ErrorCode::InvalidArgument,
    );
    expect_code(
        with(&|o| o.subject_alt_names = vec!["DNS:bücher.example".into()]),
        ErrorCode::InvalidArgument,
    );
}

/// `openssl ca` with explicit dates: openssl 3.0's `req` cannot backdate.
fn openssl_ca_signed(dir: &Scratch, key: &str, start: &str, end: &str) -> String {
    let csr = dir.path("dated.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        key,
        "-subj",
        "/CN=dated/O=Acme",
        "-out",
        &csr,
    ]);
    dir.write("index.txt", "");
    dir.write("serial", "1000\n");
    let config = dir.write(
        "ca.cnf",
        &format!(
            "[ca]\ndefault_ca = dated\n[dated]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\n\
             default_md = sha256\npolicy = any\n[any]\ncommonName = supplied\norganizationName = optional\n",
            dir.path("index.txt"),
            dir.0.to_string_lossy(),
            dir.path("serial"),
        ),
    );
    let out = dir.path("dated.pem");
    openssl(&[
        "ca",
        "-batch",
        "-notext",
        "-selfsign",
        "-config",
        &config,
        "-keyfile",
        key,
        "-in",
        &csr,
        "-startdate",
        start,
        "-enddate",
        end,
        "-out",
        &out,
    ]);
    let _ = std::fs::remove_file(dir.path("index.txt"));
    out
}

fn pem_der(path: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(path).expect("certificate file");
    certificates_from_pem(&text)
        .expect("certificate PEM")
        .remove(0)
}

#[test]
fn inspection_of_expired_and_not_yet_valid_openssl_certificates() {
    let dir = Scratch::new("dated");
    let key = dir.write("k.pem", &genpkey("EC", &["ec_paramgen_curve:P-256"]));
    let expired = openssl_ca_signed(&dir, &key, "20200101000000Z", "20210101000000Z");
    let info = inspect_certificate(&pem_der(&expired), NOW).unwrap();
    assert_eq!(info.status, ValidityStatus::Expired);
    assert_eq!(info.not_before, 1_577_836_800);
    assert_eq!(info.not_after, 1_609_459_200);
    let subject = text_of(openssl(&[
        "x509", "-in", &expired, "-noout", "-subject", "-nameopt", "RFC2253",
    ]));
    assert_eq!(subject.trim(), format!("subject={}", info.subject));
    assert!(info.is_self_signed());
    assert_fingerprints(&expired, &info);
    // openssl agrees it is expired.
    let checkend = std::process::Command::new("openssl")
        .args(["x509", "-in", &expired, "-noout", "-checkend", "0"])
        .output()
        .unwrap();
    assert!(!checkend.status.success(), "openssl: expired too");

    let future = openssl_ca_signed(&dir, &key, "20990101000000Z", "21000101000000Z");
    let info = inspect_certificate(&pem_der(&future), NOW).unwrap();
    assert_eq!(info.status, ValidityStatus::NotYetValid);
    assert_eq!(info.not_before, 4_070_908_800);
    assert!(info.is_self_signed());
}

#[test]
fn inspection_of_a_ca_signed_chain_rsa_pss_and_p384() {
    let dir = Scratch::new("chain");
    let ca_key = dir.write("ca.key", &genpkey("EC", &["ec_paramgen_curve:P-384"]));
    let ca = dir.path("ca.pem");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &ca_key,
        "-sha384",
        "-days",
        "30",
        "-subj",
        "/CN=Acme Test CA",
        "-out",
        &ca,
    ]);
    let leaf_key = dir.write("leaf.key", &genpkey("RSA-PSS", &["rsa_keygen_bits:2048"]));
    let csr = dir.path("leaf.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        &leaf_key,
        "-subj",
        "/CN=leaf.example",
        "-out",
        &csr,
    ]);
    let leaf = dir.path("leaf.pem");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "30",
        "-sha384",
        "-out",
        &leaf,
    ]);
    let bundle = format!(
        "{}{}",
        std::fs::read_to_string(&leaf).unwrap(),
        std::fs::read_to_string(&ca).unwrap()
    );
    let ders = certificates_from_pem(&bundle).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let chain = inspect_chain(&ders, now).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].signed_by_next, Some(true), "leaf signed by the CA");
    assert_eq!(chain[1].signed_by_next, None);
    let (leaf_info, ca_info) = (&chain[0].certificate, &chain[1].certificate);
    assert_eq!(leaf_info.key_type, "RSA-PSS");
    assert_eq!(leaf_info.key_bits, Some(2048));
    assert_eq!(leaf_info.issuer, "CN=Acme Test CA");
    assert!(!leaf_info.self_issued);
    assert_eq!(leaf_info.signature_algorithm, "ecdsa-with-SHA384");
    assert_eq!(ca_info.key_type, "EC");
    assert_eq!(ca_info.key_curve.as_deref(), Some("P-384"));
    assert!(ca_info.is_self_signed());
    assert_eq!(ca_info.is_ca, Some(true));
    assert_eq!(leaf_info.status, ValidityStatus::Valid);
    assert_fingerprints(&leaf, leaf_info);
    let serial = text_of(openssl(&["x509", "-in", &leaf, "-noout", "-serial"]));
    assert_eq!(serial.trim(), format!("serial={}", leaf_info.serial_hex));

    // In the wrong order, the signature check says so.
    let reversed = inspect_chain(&[ders[1].clone(), ders[0].clone()], now).unwrap();
    assert_eq!(reversed[0].signed_by_next, Some(false));

    // A self-signed RSA-PSS certificate (PSS signature too) verifies.
    let pss = dir.path("pss.pem");
    openssl(&[
        "req", "-x509", "-new", "-key", &leaf_key, "-days", "5", "-subj", "/CN=pss", "-out", &pss,
    ]);
    let info = inspect_certificate(&pem_der(&pss), now).unwrap();
    assert_eq!(info.signature_algorithm, "rsassaPss");
    assert_eq!(info.self_signature_valid, Some(true));

    // Key match: the CA key matches the CA, not the leaf.
    let ca_private = private_key(&std::fs::read_to_string(&ca_key).unwrap());
    assert!(key_matches_certificate(&ca_private, &ders[1]).unwrap());
    assert!(!key_matches_certificate(&ca_private, &ders[0]).unwrap());
}

#[test]
fn hostile_certificates_fail_with_codes() {
    let key = private_key(&genpkey("EC", &["ec_paramgen_curve:P-256"]));
    let der = create_certificate(&key, &options(None)).unwrap();
    for cut in [0, 1, 10, der.len() / 2, der.len() - 1] {
        expect_code(inspect_certificate(&der[..cut], NOW), ErrorCode::DerInvalid);
    }
    let mut flipped = der.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x55;
    let info = inspect_certificate(&flipped, NOW).unwrap();
    assert_eq!(info.self_signature_valid, Some(false), "tampered signature");
    expect_code(
        inspect_chain(&vec![der.clone(); 17], NOW),
        ErrorCode::InvalidArgument,
    );
    expect_code(certificates_from_pem("nothing"), ErrorCode::PemInvalid);
}

#[test]
fn encrypted_pkcs8_both_ways_with_openssl() {
    let dir = Scratch::new("pkcs8enc");
    for (tag, algorithm, options) in [
        ("rsa", "RSA", &["rsa_keygen_bits:2048"][..]),
        ("p256", "EC", &["ec_paramgen_curve:P-256"][..]),
        ("ed25519", "ED25519", &[][..]),
    ] {
        let plain = dir.write("plain.pem", &genpkey(algorithm, options));
        let key = private_key(&std::fs::read_to_string(&plain).unwrap());
        for scheme in [
            &["-v2", "aes-256-cbc"][..],
            &["-scrypt"][..],
            &["-v2", "aes-128-cbc"][..],
        ] {
            let mut args = vec![
                "pkcs8",
                "-topk8",
                "-in",
                &plain,
                "-passout",
                "pass:correct horse",
            ];
            args.extend_from_slice(scheme);
            let encrypted = text_of(openssl(&args));
            assert!(encrypted.contains("BEGIN ENCRYPTED PRIVATE KEY"));
            let decoded =
                decode_pem_with_passphrase(&encrypted, None, Some(b"correct horse")).unwrap();
            assert_eq!(decoded.key, key, "{tag} {scheme:?}");
            let error = expect_code(
                decode_pem_with_passphrase(&encrypted, None, Some(b"wrong")),
                ErrorCode::KeyDecryptionFailed,
            );
            assert!(error.message().contains("passphrase"));
            expect_code(decode_pem(&encrypted, None), ErrorCode::PassphraseRequired);
            expect_code(
                decode_pem(&encrypted, Some(PemKind::PrivateKey)),
                ErrorCode::PassphraseRequired,
            );
        }
        // Ours, read by openssl: the same PKCS#8 comes out.
        let ours = key.to_encrypted_pem(b"s3cret passphrase").unwrap();
        assert!(ours.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let path = dir.write("ours.pem", &ours);
        let decrypted = text_of(openssl(&[
            "pkcs8",
            "-in",
            &path,
            "-passin",
            "pass:s3cret passphrase",
        ]));
        assert_eq!(decrypted, key.to_pem(None).unwrap(), "{tag}");
        let params = text_of(openssl(&["asn1parse", "-in", &path]));
        for expected in ["PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc"] {
            assert!(params.contains(expected), "{tag}: {expected} in {params}");
        }
        expect_code(key.to_encrypted_pem(b""), ErrorCode::InvalidArgument);
    }
}

#[test]
fn legacy_encrypted_pem_says_how_to_convert() {
    let dir = Scratch::new("legacy");
    let plain = dir.write("plain.pem", &genpkey("RSA", &["rsa_keygen_bits:2048"]));
    let legacy = text_of(openssl(&[
        "rsa",
        "-in",
        &plain,
        "-traditional",
        "-aes256",
        "-passout",
        "pass:x",
    ]));
    assert!(legacy.contains("Proc-Type: 4,ENCRYPTED"));
    let error = expect_code(
        decode_pem_with_passphrase(&legacy, None, Some(b"x")),
        ErrorCode::NotSupported,
    );
    assert!(error.message().contains("openssl pkcs8 -topk8"), "{error}");
}

/// A key file bundled with its certificate: the private key's JWK carries
/// the chain (x5c, x5t#S256); with someone else's certificate it does not.
#[test]
fn private_key_bundled_with_its_certificate_carries_x5c() {
    let key_pem = genpkey("EC", &["ec_paramgen_curve:P-256"]);
    let key = private_key(&key_pem);
    let der = create_certificate(&key, &options(None)).unwrap();
    let bundle = format!("{key_pem}{}", certificate_pem(&der));
    let jwk = Jwk::from_pem(&bundle, Some(PemKind::PrivateKey)).unwrap();
    assert!(jwk.key().is_private());
    let info = inspect_certificate(&der, NOW).unwrap();
    assert_eq!(jwk.x5t_s256.as_deref(), Some(info.x5t_s256.as_str()));
    assert_eq!(jwk.x5c.as_ref().map(Vec::len), Some(1));
    // The JWK with x5c parses back (x5c is checked against the key).
    assert_eq!(Jwk::from_json(&jwk.to_json()).unwrap(), jwk);

    let other = private_key(&genpkey("EC", &["ec_paramgen_curve:P-256"]));
    let foreign = create_certificate(&other, &options(None)).unwrap();
    let mismatched = format!("{key_pem}{}", certificate_pem(&foreign));
    let jwk = Jwk::from_pem(&mismatched, Some(PemKind::PrivateKey)).unwrap();
    assert_eq!(jwk.x5c, None, "someone else's certificate is not attached");
}
