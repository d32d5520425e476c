//! Where shapes live: matchit trees in tiers, so no route hides another.
//!
//! A matchit tree answers one route per path, preferring static text over
//! parameters and parameters over catch-alls. Channels tries routes in the
//! order they were added. To keep Channels' order on top of matchit, each
//! tier holds only shapes that can never match the same path; a shape that
//! overlaps one already in a tier goes to the next tier. A lookup asks
//! every tier, so it sees every shape that matches, and the router tries
//! their routes by the order they were added. Most route tables fit in one
//! or two tiers.

use matchit::Router;

use super::shape::Shape;

/// Every shape of one router, and the routes (by index) under each.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    tiers: Vec<Tier>,
}

/// Shapes that no path matches two of, in one matchit tree.
#[derive(Clone, Debug, Default)]
struct Tier {
    tree: Router<usize>,
    shapes: Vec<Entry>,
}

#[derive(Clone, Debug)]
struct Entry {
    shape: Shape,
    /// Indices of the routes with this shape, in the order they were added.
    routes: Vec<usize>,
}

/// One shape that matched a path: its routes and the text of each parameter.
#[derive(Debug)]
pub(crate) struct Hit<'t, 'p> {
    pub(crate) routes: &'t [usize],
    pub(crate) values: Vec<&'p str>,
}

impl Table {
    /// The routes already added with exactly this shape.
    pub(crate) fn routes_with(&self, shape: &Shape) -> &[usize] {
        self.find(shape)
            .map(|(tier, entry)| &self.tiers[tier].shapes[entry].routes[..])
            .unwrap_or_default()
    }

    /// Adds the route with index `route` under `shape`.
    pub(crate) fn insert(&mut self, shape: Shape, route: usize) {
        if let Some((tier, entry)) = self.find(&shape) {
            self.tiers[tier].shapes[entry].routes.push(route);
            return;
        }
        for tier in &mut self.tiers {
            if tier.accepts(&shape) {
                tier.push(shape, route);
                return;
            }
        }
        let mut tier = Tier::default();
        let accepted = tier.accepts(&shape);
        assert!(
            accepted,
            "matchit refused the route {:?} even alone; this is a bug in aqueduct-routing",
            shape.route()
        );
        tier.push(shape, route);
        self.tiers.push(tier);
    }

    /// Every shape that matches `path`, at most one per tier.
    pub(crate) fn lookup<'p>(&self, path: &'p str) -> Vec<Hit<'_, 'p>> {
        self.tiers
            .iter()
            .filter_map(|tier| {
                let matched = tier.tree.at(path).ok()?;
                Some(Hit {
                    routes: &tier.shapes[*matched.value].routes,
                    // matchit yields parameters in route order: p0, p1, …
                    values: matched.params.iter().map(|(_, value)| value).collect(),
                })
            })
            .collect()
    }

    /// Offers `path`'s matching routes to `try_route` in the order they
    /// were added, with the text of each parameter; returns the first
    /// answer that is not `None`.
    ///
    /// This is Channels' rule, "the earliest route that accepts the path
    /// wins", for every router built on a table.
    pub(crate) fn first_match<'p, T>(
        &self,
        path: &'p str,
        mut try_route: impl FnMut(usize, &[&'p str]) -> Option<T>,
    ) -> Option<T> {
        let hits = self.lookup(path);
        let mut tries: Vec<(usize, &[&str])> = hits
            .iter()
            .flat_map(|hit| hit.routes.iter().map(|&route| (route, &hit.values[..])))
            .collect();
        tries.sort_unstable_by_key(|&(route, _)| route);
        tries
            .into_iter()
            .find_map(|(route, values)| try_route(route, values))
    }

    /// How many matchit trees a lookup asks.
    #[cfg(test)]
    pub(crate) fn tier_count(&self) -> usize {
        self.tiers.len()
    }

    fn find(&self, shape: &Shape) -> Option<(usize, usize)> {
        self.tiers.iter().enumerate().find_map(|(t, tier)| {
            let e = tier
                .shapes
                .iter()
                .position(|e| e.shape.route() == shape.route())?;
            Some((t, e))
        })
    }
}

impl Tier {
    /// Tries `shape` in this tier's tree; keeps it there only if it
    /// overlaps no shape already here and matchit takes it.
    fn accepts(&mut self, shape: &Shape) -> bool {
        if self.shapes.iter().any(|e| e.shape.overlaps(shape)) {
            return false;
        }
        // matchit may change its tree before it reports a conflict, so try
        // on a copy. This runs once per route, at startup.
        let mut tree = self.tree.clone();
        if tree.insert(shape.route(), self.shapes.len()).is_err() {
            return false;
        }
        self.tree = tree;
        true
    }

    fn push(&mut self, shape: Shape, route: usize) {
        self.shapes.push(Entry {
            shape,
            routes: vec![route],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::pattern::Pattern;

    fn table(sources: &[&str]) -> Table {
        let mut table = Table::default();
        for (route, source) in sources.iter().enumerate() {
            let pattern = Pattern::parse(source).unwrap();
            table.insert(Shape::new(pattern.parts(), false), route);
        }
        table
    }

    /// The routes a lookup offers, in route order, as `route(values)`.
    fn offered(table: &Table, path: &str) -> String {
        let mut out: Vec<(usize, String)> = Vec::new();
        for hit in table.lookup(path) {
            let values = hit.values.join(",");
            out.extend(hit.routes.iter().map(|&r| (r, format!("{r}({values})"))));
        }
        out.sort();
        let out: Vec<String> = out.into_iter().map(|(_, text)| text).collect();
        out.join(" ")
    }

    #[test]
    fn lookup_offers_every_route_that_could_match() {
        let t = table(&[
            "ws/<room>/",
            "ws/lobby/",
            "ws/<int:id>/",
            "ws/<path:rest>",
            "api/",
        ]);
        #[rustfmt::skip]
        let cases = [
            ("ws/lobby/", "0(lobby) 1() 2(lobby) 3(lobby/)"),
            ("ws/7/",     "0(7) 2(7) 3(7/)"),
            ("ws/a/b",    "3(a/b)"),
            ("api/",      "4()"),
            ("nothing",   ""),
        ];
        for (path, expected) in cases {
            assert_eq!(offered(&t, path), expected, "{path:?}");
        }
    }

    #[test]
    fn overlapping_shapes_go_to_separate_tiers() {
        let cases: [(&[&str], usize); 5] = [
            (&["ws/a/", "ws/b/", "api/<x>/"], 1),
            (&["ws/<a>/", "ws/<int:b>/"], 1),
            (&["ws/lobby/", "ws/<room>/"], 2),
            (&["ws/lobby/", "ws/<room>/", "ws/<path:p>"], 3),
            // Disjoint, yet matchit refuses two prefixed-and-suffixed parameters.
            (&["a<x>b", "a<x>c"], 2),
        ];
        for (sources, tiers) in cases {
            assert_eq!(table(sources).tier_count(), tiers, "{sources:?}");
        }
    }
}
