//! Target i's certificate: self-signed for `127.0.0.1` and `localhost`,
//! made when the target starts, so no key outlives the run.

use std::path::PathBuf;

use crate::error::Error;

/// A self-signed certificate and its private key, written as PEM files
/// into a directory of their own that is removed on drop.
#[derive(Debug)]
pub(super) struct SelfSigned {
    dir: PathBuf,
}

impl SelfSigned {
    /// Makes a certificate for the names the servers are reached by
    /// (`127.0.0.1` in every URL; `localhost` for use by hand) and writes
    /// `cert.pem` and `key.pem` into a fresh temporary directory.
    pub(super) fn create() -> Result<Self, Error> {
        let dir = std::env::temp_dir().join(format!("aqueduct-bench-tls-{}", std::process::id()));
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        // Owned before anything is written, so that a failure to write
        // still removes the directory.
        let certificate = Self { dir };
        let written = match rcgen::generate_simple_self_signed(names) {
            Ok(made) => certificate.write(&made).map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        };
        match written {
            Ok(()) => Ok(certificate),
            Err(reason) => Err(Error::Certificate {
                dir: certificate.dir.display().to_string(),
                reason,
            }),
        }
    }

    fn write(&self, made: &rcgen::CertifiedKey<rcgen::KeyPair>) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(self.cert_path(), made.cert.pem())?;
        std::fs::write(self.key_path(), made.signing_key.serialize_pem())
    }

    /// The certificate, which the servers present and the clients trust.
    pub(super) fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The private key, which only the servers read.
    pub(super) fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

impl Drop for SelfSigned {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_last_as_long_as_the_certificate() {
        let certificate = SelfSigned::create().unwrap();
        let cert = std::fs::read_to_string(certificate.cert_path()).unwrap();
        let key = std::fs::read_to_string(certificate.key_path()).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
        assert!(key.contains("PRIVATE KEY-----"), "{key}");
        let dir = certificate.dir.clone();
        drop(certificate);
        assert!(!dir.exists());
    }
}
