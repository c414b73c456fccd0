//! The seeded world of every test app (the table in mod.rs), and copies of it under ids of
//! their own, for table-driven tests whose rows each need a world no other row touched.

use super::app::TestApp;
use super::http::{Reply, as_pairs};
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

pub const SPEC_KEY: &str = "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";
pub const ADMIN: u64 = 1;
pub const ISP1_USER: u64 = 5;
pub const ISP2_USER: u64 = 6;
pub const RESELLER1_USER: u64 = 7;
pub const RESELLER3_USER: u64 = 8;
pub const DISABLED_USER: u64 = 9;
pub const FORM_USER: u64 = 20;

/// The seeded ISPs: id, name.
const ISPS: [(u64, &str); 2] = [(1, "ISP One"), (2, "ISP Two")];

/// The seeded resellers: ISP, id, name.
const RESELLERS: [(u64, u64, &str); 3] = [
    (1, 1, "Reseller One"),
    (1, 2, "Reseller Two"),
    (2, 3, "Reseller Three"),
];

/// The seeded users: id, role, ISP, reseller.
const USERS: [(u64, Role, Option<u64>, Option<u64>); 7] = [
    (ADMIN, Role::Admin, None, None),
    (ISP1_USER, Role::Isp, Some(1), None),
    (ISP2_USER, Role::Isp, Some(2), None),
    (RESELLER1_USER, Role::Reseller, None, Some(1)),
    (RESELLER3_USER, Role::Reseller, None, Some(3)),
    (DISABLED_USER, Role::Isp, Some(1), None),
    (FORM_USER, Role::Form, None, Some(1)),
];

/// Writes the seeded world into `store`, every id raised by `offset` (0: the ids above, and
/// user 5 with the spec's key); returns each user's key by its (raised) userid.
pub async fn seed_world(store: &Store, offset: u64) -> HashMap<u64, String> {
    for (isp, name) in ISPS {
        admin::create_isp(store, IspId(isp + offset), name)
            .await
            .unwrap();
    }
    for (isp, reseller, name) in RESELLERS {
        admin::create_reseller(
            store,
            IspId(isp + offset),
            ResellerId(reseller + offset),
            name,
        )
        .await
        .unwrap();
    }
    let mut keys = HashMap::new();
    for (userid, role, isp, reseller) in USERS {
        let api_key =
            (userid == ISP1_USER && offset == 0).then(|| ApiKey::chosen(SPEC_KEY).unwrap());
        let key = admin::create_user(
            store,
            NewUser {
                userid: UserId(userid + offset),
                role,
                isp: isp.map(|i| IspId(i + offset)),
                reseller: reseller.map(|r| ResellerId(r + offset)),
                api_key,
            },
        )
        .await
        .unwrap();
        keys.insert(userid + offset, key.expose().to_owned());
    }
    admin::set_enabled(store, UserId(DISABLED_USER + offset), false)
        .await
        .unwrap();
    keys
}

/// The parameters that name an ISP, a reseller or a user: a `World` raises their ids.
const ID_PARAMS: [&str; 4] = ["ispid", "resellerid", "userid", "target_userid"];

/// A copy of the seeded world in an app's tables, every id raised by an offset of its own
/// (a multiple of 1000, so ids the API allocates, and ids the seed lacks such as 99, stay
/// free). A table's row written against the seeded ids runs in a copy of its own: it sees no
/// change an other row made, and rows run alone or in any order alike.
pub struct World {
    offset: u64,
    keys: HashMap<u64, String>,
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) * 1000;
        let keys = seed_world(&app.store, offset).await;
        World { offset, keys }
    }

    /// This copy's id of seeded id `id`.
    pub fn id(&self, id: u64) -> u64 {
        id + self.offset
    }

    /// `app.call` as this copy's `user`, the ids in `params` (`ID_PARAMS`) raised too.
    pub async fn call(
        &self,
        app: &TestApp,
        user: u64,
        route: &str,
        params: &[(&str, &str)],
    ) -> Reply {
        let raised: Vec<(&str, String)> = params
            .iter()
            .map(|&(k, v)| match v.parse::<u64>() {
                Ok(id) if ID_PARAMS.contains(&k) => (k, self.id(id).to_string()),
                _ => (k, v.to_owned()),
            })
            .collect();
        let raised = as_pairs(&raised);
        let user = self.id(user);
        app.call_as(user, &self.keys[&user], route, &raised, &[])
            .await
    }
}
