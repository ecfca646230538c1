"""Control-plane PKI: the CA, the control plane's client certificate and per-instance agent
server certificates. Imports only `strongroom.contracts` of ours."""

from strongroom.pki.authority import CertificateAuthority
from strongroom.pki.issued import CertificatePaths, IssuedCertificate, certificate_expiry

__all__ = [
    "CertificateAuthority",
    "CertificatePaths",
    "IssuedCertificate",
    "certificate_expiry",
]
