import { useLang } from '../../lib/lang.tsx';
import { type Category, localText } from '../../lib/reports.ts';

interface Props {
  categories: Category[];
  selected: string | null;
  onSelect: (code: string) => void;
}

/** Big tap targets, one per category; the chosen one stays pressed. */
export function CategoryTiles({ categories, selected, onSelect }: Props) {
  const { lang } = useLang();
  return (
    <div className="tiles" data-testid="category-tiles">
      {categories.map((c) => (
        <button
          key={c.code}
          type="button"
          className={`tile prio-${c.priority}`}
          data-code={c.code}
          aria-pressed={c.code === selected}
          onClick={() => onSelect(c.code)}
        >
          <span className="tile-name">{localText(c.name, lang)}</span>
          <span className="tile-desc">{localText(c.description, lang)}</span>
        </button>
      ))}
    </div>
  );
}
