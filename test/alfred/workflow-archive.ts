/** The built .alfredworkflow read back with a zip library: each file's bytes and Unix mode, by its path. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import yauzl from "yauzl";

export interface ArchivedFile {
  data: Buffer;
  /** The Unix permission bits the archive records (0o755 for a script Alfred runs). */
  mode: number;
}

export async function readArchive(path: string): Promise<Map<string, ArchivedFile>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const files = new Map<string, ArchivedFile>();
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", () => resolve());
    zip.on("entry", (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("end", () => {
          files.set(entry.fileName, {
            data: Buffer.concat(chunks),
            mode: (entry.externalFileAttributes >>> 16) & 0o7777,
          });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return files;
}

/** Unpacks the files into `folder` with their modes, as Alfred installs a workflow. */
export function unpack(files: Map<string, ArchivedFile>, folder: string): void {
  for (const [path, file] of files) {
    const target = join(folder, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
    chmodSync(target, file.mode);
  }
}
