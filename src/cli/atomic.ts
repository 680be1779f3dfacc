/**
 * Files copro writes for the user (plan files, JUnit reports): never half a file, even if copro is killed
 * mid-write. npm's write-file-atomic does it (temp file in the same folder, fsync, rename; concurrent writes to
 * one file queued; the temp file removed on failure and on exit): docs/dependencies.md.
 */
import writeFileAtomicLib from 'write-file-atomic';

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await writeFileAtomicLib(file, data);
}
