//! TLS end to end: soc-sim behind a TLS front whose certificate comes from a test CA that no
//! system trusts. The client must refuse it by default, accept it with that CA as its bundle,
//! and connect without checks only when told to.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use soc_api::{ApiError, ClientBuilder};
use soc_sim::{RunningSim, SimConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::common::{STAGING, assert_full_export, builder, staging, start};

/// A CA certificate (PEM) and a server certificate it signed for 127.0.0.1.
struct TestPki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

fn test_pki() -> TestPki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "socdrift test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");

    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server parameters");
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    TestPki {
        ca_pem: ca.pem(),
        server_chain: vec![server.der().clone(), ca.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
    }
}

/// Terminates TLS on an ephemeral loopback port and relays each connection to `backend`.
async fn tls_front(pki: &TestPki, backend: SocketAddr) -> SocketAddr {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            pki.server_chain.clone(),
            PrivateKeyDer::Pkcs8(pki.server_key.clone_key()),
        )
        .expect("server certificate and key");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is what some tests expect; the client reports it.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

/// A simulator, the TLS front before it, and a client builder that talks to the front only.
async fn behind_tls(pki: &TestPki) -> (RunningSim, ClientBuilder) {
    let sim = start(SimConfig::default()).await;
    let backend = sim
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("simulator address");
    let front = format!("https://{}", tls_front(pki, backend).await);
    let builder = builder(&sim, STAGING).endpoint(&front).iam_endpoint(&front);
    (sim, builder)
}

#[tokio::test]
async fn an_unknown_certificate_authority_is_refused_by_default() {
    let pki = test_pki();
    let (sim, builder) = behind_tls(&pki).await;
    let err = builder
        .build()
        .unwrap()
        .export_all(|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    // The cause (kept in the error's source chain) is the untrusted issuer, not some other failure.
    let debug = format!("{err:?}");
    assert!(debug.contains("UnknownIssuer"), "{debug}");
    assert!(sim.log().is_empty(), "no request got through");
}

#[tokio::test]
async fn a_ca_bundle_makes_the_certificate_trusted() {
    let pki = test_pki();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, &pki.ca_pem).unwrap();
    let (sim, builder) = behind_tls(&pki).await;
    assert_full_export(&builder.ca_bundle(&bundle).build().unwrap(), &staging()).await;
    assert!(!sim.log().is_empty());
}

#[tokio::test]
async fn turning_verification_off_connects_without_the_ca() {
    let pki = test_pki();
    let (_sim, builder) = behind_tls(&pki).await;
    let client = builder.danger_accept_invalid_certs(true).build().unwrap();
    assert_full_export(&client, &staging()).await;
}
