/**
 * `--user` as Docker resolves it: `uid`, `uid:gid`, `name`, `name:group`, looked up in the
 * container's own /etc/passwd and /etc/group; supplementary groups from /etc/group and
 * `--group-add`.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The process user of the OCI spec. */
export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

interface Passwd { name: string; uid: number; gid: number }
interface Group { name: string; gid: number; members: string[] }

function parsePasswd(text: string): Passwd[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

function parseGroup(text: string): Group[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 3)
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const isNum = (s: string) => /^\d+$/.test(s);

/** Resolves `spec` (Docker's `User`) against the container's passwd and group files. */
export function resolveUser(spec: string | undefined, passwdText: string, groupText: string, groupAdd: readonly string[] = []): OciUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const [userPart = '', groupPart] = (spec ?? '').split(':');
  let uid = 0;
  let gid = 0;
  let name: string | undefined = 'root';
  if (userPart) {
    const entry = isNum(userPart) ? passwd.find((p) => p.uid === Number(userPart)) : passwd.find((p) => p.name === userPart);
    if (!entry && !isNum(userPart)) throw new InvalidArgumentError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry?.uid ?? Number(userPart);
    gid = entry?.gid ?? 0;
    name = entry?.name;
  }
  if (groupPart) {
    const g = isNum(groupPart) ? undefined : groups.find((x) => x.name === groupPart);
    if (!isNum(groupPart) && !g) throw new InvalidArgumentError(`unable to find group ${groupPart}: no matching entries in group file`);
    gid = g?.gid ?? Number(groupPart);
  }
  const extra = new Set<number>();
  if (name) for (const g of groups) if (g.members.includes(name) && g.gid !== gid) extra.add(g.gid);
  for (const g of groupAdd) {
    const found = isNum(g) ? Number(g) : groups.find((x) => x.name === g)?.gid;
    if (found === undefined) throw new InvalidArgumentError(`unable to find group ${g}: no matching entries in group file`);
    extra.add(found);
  }
  return { uid, gid, ...(extra.size ? { additionalGids: [...extra].sort((a, b) => a - b) } : {}) };
}
