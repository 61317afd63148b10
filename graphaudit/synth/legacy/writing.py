"""How the legacy world writes a value on a row: one independent draw per row, so one value
appears in many spellings (spacing, dashes, full-width digits, case, abbreviations), and the
planted slips (a letter typo in an address, a character typo in an ID).

The digit groupings are the family's (:mod:`graphaudit.synth.writing`); how often each form
appears is the legacy world's own.
"""

from __future__ import annotations

from graphaudit.synth.documents import cn_check_char
from graphaudit.synth.legacy.draws import Draws
from graphaudit.synth.legacy.people import Account, Person
from graphaudit.synth.legacy.places import Place
from graphaudit.synth.legacy.vocab import ABBR, JOINERS, LETTERS
from graphaudit.synth.writing import fullwidth, id_groups, in_fours, phone_groups


class Writer(Draws):
    """Writes canonical values as the rows of the legacy world show them."""

    def id_number(self, doc: str) -> str:
        """An ID as one row writes it: spaces, dashes, case, full-width digits."""
        u = self.r.random()
        if u < 0.68:
            s = doc
        elif u < 0.76:
            s = id_groups(doc, " ")
        elif u < 0.80:
            s = id_groups(doc, "-")
        elif u < 0.84:
            s = f"{doc[:6]} {doc[6:10]} {doc[10:14]} {doc[14:]}"
        elif u < 0.92:
            s = doc.lower()
        elif u < 0.96:
            s = fullwidth(doc)
        else:
            s = f" {doc} " if u < 0.98 else doc + " "
        if s[-1:] == "X" and self.r.random() < 0.3:
            s = s[:-1] + "x"
        return s

    def phone(self, num: str) -> str:
        """A mobile as one row writes it: +86 / 0086 / 86, groups, full-width digits."""
        u = self.r.random()
        if u < 0.45:
            return num
        if u < 0.60:
            return "+86" + num
        if u < 0.70:
            return "+86 " + phone_groups(num, " ")
        if u < 0.76:
            return phone_groups(num, " ")
        if u < 0.81:
            return phone_groups(num, "-")
        if u < 0.85:
            return "+86-" + phone_groups(num, "-")
        if u < 0.89:
            return "86 " + num
        if u < 0.92:
            return "0086 " + num
        if u < 0.95:
            return "(+86) " + phone_groups(num, " ")
        if u < 0.98:
            return "+86 " + fullwidth(num)
        return f" {num} "

    def email(self, email: str) -> str:
        """An e-mail as one row writes it: case, stray spaces."""
        u = self.r.random()
        if u < 0.8:
            return email
        if u < 0.88:
            return email[:1].upper() + email[1:]
        if u < 0.93:
            return email.upper()
        if u < 0.97:
            local, _, domain = email.partition("@")
            return f"{local.title()}@{domain}"
        return f" {email} "

    def account(self, acc: Account) -> str:
        """An account number as one row writes it: groups of four, dashes, spaces."""
        num = acc.number
        u = self.r.random()
        if acc.kind == "wallet":
            if "@" in num:
                return self.email(num)
            if u < 0.7:
                return num
            return phone_groups(num, " " if u < 0.9 else "-")
        if u < 0.58:
            return num
        if u < 0.84:
            return in_fours(num, " ")
        if u < 0.90:
            return in_fours(num, "-")
        if u < 0.95:
            return fullwidth(num)
        return f" {num} " if u < 0.98 else in_fours(num, "  ")

    def name(self, p: Person) -> str:
        """A person's name as one row writes it: Chinese, or pinyin in either order."""
        u = self.r.random()
        if u < 0.72:
            return p.cn
        if u < 0.84:
            return f"{p.sur} {p.giv}"
        if u < 0.92:
            return f"{p.giv} {p.sur}"
        if u < 0.96:
            return f"{p.giv[0]}. {p.sur}"
        return f"{p.sur} {p.giv}".upper()

    def holder(self, holder: Person | str) -> str:
        """An account holder as one row writes it: a person's name or the company's."""
        if isinstance(holder, Person):
            return self.name(holder)
        name = holder
        u = self.r.random()
        if u < 0.7:
            return name
        if u < 0.85:
            return name.upper()
        if u < 0.93:
            return name.replace("Co., Ltd.", "Co.,Ltd")
        return name.replace(", Ltd.", " Ltd")

    def brand(self, b: str) -> str:
        """A brand as one row writes it: capitalized, upper or lower case."""
        u = self.r.random()
        if u < 0.6:
            return b.capitalize()
        return b.upper() if u < 0.85 else b

    def address(self, place: Place, typo: bool) -> str:
        """Render an address; with ``typo``, one letter of one word is wrong (never a digit)."""
        r = self.r
        u = r.random()
        if u < 0.35 and not typo:
            return place.key
        p_abbr = 0.85 if u < 0.7 else 0.3
        words = []
        seg_ends = []
        for seg in place.segs:
            for w in seg.split(" "):
                alt = ABBR.get(w)
                if alt is not None and r.random() < p_abbr:
                    w = alt[int(r.random() * len(alt))]
                words.append(w)
            seg_ends.append(len(words))
        if typo:
            cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
            if cand:
                i = cand[int(r.random() * len(cand))]
                words[i] = self._typo_word(words[i])
        joiner = self.pick(JOINERS)
        out = []
        start = 0
        for end in seg_ends:
            out.append(" ".join(words[start:end]))
            start = end
        s = joiner.join(out)
        v = r.random()
        if v < 0.07:
            s = s.upper()
        elif v < 0.11:
            s = s.lower()
        v = r.random()
        if v < 0.08:
            s = s.replace(" ", "  ", 1)
        elif v < 0.12:
            s = s + ","
        elif v < 0.15:
            s = " " + s
        return s

    def _typo_word(self, w: str) -> str:
        r = self.r
        while True:
            i = int(r.random() * len(w))
            if r.random() < 0.5 and i < len(w) - 1:
                if w[i].lower() == w[i + 1].lower():
                    continue
                t = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
            else:
                c = self.pick(LETTERS)
                if c == w[i].lower():
                    continue
                t = w[:i] + (c.upper() if w[i].isupper() else c) + w[i + 1 :]
            return t

    def id_typo(self, doc: str) -> str:
        """One substituted character or two adjacent characters swapped; never a valid ID."""
        r = self.r
        while True:
            i = int(r.random() * 18)
            if r.random() < 0.5 and i < 17:
                if doc[i] == doc[i + 1]:
                    continue
                t = doc[:i] + doc[i + 1] + doc[i] + doc[i + 2 :]
            else:
                c = self.pick("0123456789")
                if c == doc[i]:
                    continue
                t = doc[:i] + c + doc[i + 1 :]
            if not (t[:17].isdigit() and cn_check_char(t[:17]) == t[17]):
                return t

    # ---- one operator -----------------------------------------------------------------------

