/**
 * Certificates made by `openssl` in a temp folder, for real TLS in tests: a CA, a server certificate for
 * 127.0.0.1 and localhost, a client certificate the CA signed, and an untrusted client certificate (its own
 * self-signed CA). EC P-256 keys (fast). openssl missing is an error, never a skip.
 * The gateway's tests use the same helper.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface CertFiles {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

export interface TestCerts {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  /** CN=client-alice, O=mcppolicy tests; signed by `ca`. */
  client: CertFiles;
  /** CN=mallory; signed by a CA the server does not trust. */
  untrusted: CertFiles;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

function files(dir: string, name: string): CertFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  return { cert, key, certPem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
}

function selfSigned(dir: string, name: string, subject: string): void {
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  openssl(["req", "-x509", "-new", "-key", `${name}.key`, "-sha256", "-days", "2", "-subj", subject, "-out", `${name}.crt`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
}

function signed(dir: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-certs-"));
  try {
    selfSigned(dir, "ca", "/O=mcppolicy tests/CN=mcppolicy test CA");
    signed(dir, "server", "/O=mcppolicy tests/CN=localhost", "ca", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
    signed(dir, "client", "/O=mcppolicy tests/CN=client-alice", "ca", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    selfSigned(dir, "rogue-ca", "/O=elsewhere/CN=rogue CA");
    signed(dir, "untrusted", "/O=elsewhere/CN=mallory", "rogue-ca", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl could not make the test certificates: ${(e as Error).message}\n${stderr}`);
  }
  return {
    dir,
    ca: files(dir, "ca"),
    server: files(dir, "server"),
    client: files(dir, "client"),
    untrusted: files(dir, "untrusted"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
