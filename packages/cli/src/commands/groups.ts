import type { GroupsPage } from "@tq/client";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { table } from "../format.js";
import type { CliIo } from "../io.js";

/** The flags of `tq groups`. */
export interface GroupsFlags extends CommonFlags {
  limit: number;
  cursor?: string;
}

/**
 * `tq groups <queue>`: one page of the queue's job groups with pending or active jobs (`queue.groups()`), and the
 * cursor of the next page. `--json` prints the page as it is.
 */
export async function groupsCommand(queueName: string, flags: GroupsFlags, io: CliIo): Promise<void> {
  const page: GroupsPage = await withSession(flags, io, async (session) => {
    await session.existingQueue(queueName);
    const options: { limit: number; cursor?: string } = { limit: flags.limit };
    if (flags.cursor !== undefined) options.cursor = flags.cursor;
    return session.queue(queueName).groups(options);
  });
  print(io, flags, page, () => human(page));
}

function human(page: GroupsPage): string {
  const rows = [...page.groups]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((g) => [g.name, String(g.pending), String(g.active)]);
  const body =
    rows.length > 0 ? table(["GROUP", "PENDING", "ACTIVE"], rows) : "no groups with pending or active jobs\n";
  return page.cursor ? `${body}next page: --cursor ${page.cursor}\n` : body;
}
