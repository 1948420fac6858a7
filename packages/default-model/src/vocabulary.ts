/** The words stories are made of: who, what they count, and where they keep it. */

export interface Person {
  name: string;
  /** Subject pronoun, capitalised: "She", "He", "They". */
  pronoun: string;
  /** Possessive: "her", "his", "their". */
  possessive: string;
  /** Verb agreement for the pronoun: "has" / "have". */
  has: string;
}

const she = (name: string): Person => ({ name, pronoun: "She", possessive: "her", has: "has" });
const he = (name: string): Person => ({ name, pronoun: "He", possessive: "his", has: "has" });

export const PEOPLE: readonly Person[] = [
  she("Ava"),
  she("Mia"),
  she("Zoe"),
  she("Lena"),
  she("Priya"),
  she("Sofia"),
  she("Nora"),
  she("Hana"),
  she("Grace"),
  she("Amara"),
  she("Ines"),
  she("Julia"),
  he("Liam"),
  he("Noah"),
  he("Omar"),
  he("Ravi"),
  he("Leo"),
  he("Mateo"),
  he("Kenji"),
  he("Tom"),
  he("Samuel"),
  he("Diego"),
  he("Felix"),
  he("Yusuf"),
];

export const FRIENDS: readonly string[] = [
  "a friend",
  "a neighbour",
  "a classmate",
  "the teacher",
  "a cousin",
  "the librarian",
];

export interface Thing {
  /** Plural noun: "apples". */
  plural: string;
  /** Container holding several: "bags". */
  containers: string;
  /** The same container, singular: "bag". */
  container: string;
}

export const THINGS: readonly Thing[] = [
  { plural: "apples", containers: "bags", container: "bag" },
  { plural: "marbles", containers: "jars", container: "jar" },
  { plural: "stickers", containers: "sheets", container: "sheet" },
  { plural: "pencils", containers: "boxes", container: "box" },
  { plural: "cookies", containers: "trays", container: "tray" },
  { plural: "books", containers: "shelves", container: "shelf" },
  { plural: "eggs", containers: "cartons", container: "carton" },
  { plural: "cards", containers: "packs", container: "pack" },
  { plural: "flowers", containers: "bunches", container: "bunch" },
  { plural: "shells", containers: "buckets", container: "bucket" },
  { plural: "coins", containers: "purses", container: "purse" },
  { plural: "beads", containers: "strings", container: "string" },
  { plural: "stamps", containers: "albums", container: "album" },
  { plural: "oranges", containers: "crates", container: "crate" },
];
