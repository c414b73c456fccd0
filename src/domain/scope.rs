//! Who may see and change which customers.
//!
//! A login user belongs to the whole platform (admin), to one ISP, or to one reseller of one
//! ISP. To a user, a customer outside its scope does not exist.

use super::ids::{IspId, ResellerId, UserId};
use super::{DomainError, Invalid};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Isp,
    Reseller,
    /// A signup form's key: creates customers in one reseller and can do nothing else, so
    /// a key leaked from a form tool can neither read nor change anything.
    Form,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Isp => "isp",
            Self::Reseller => "reseller",
            Self::Form => "form",
        }
    }
}

/// What a request does, for roles limited to some operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateCustomer,
    /// Every other route (reads, updates, deletes, services).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Platform,
    Isp(IspId),
    Reseller { isp: IspId, reseller: ResellerId },
}

impl Scope {
    /// Builds the scope of a stored user; `None` when the record is inconsistent
    /// (e.g. an ISP user without an ISP), which the caller treats as a disabled user.
    pub fn of(role: Role, isp: Option<IspId>, reseller: Option<ResellerId>) -> Option<Self> {
        match (role, isp, reseller) {
            (Role::Admin, None, None) => Some(Self::Platform),
            (Role::Isp, Some(isp), None) => Some(Self::Isp(isp)),
            (Role::Reseller | Role::Form, Some(isp), Some(reseller)) => {
                Some(Self::Reseller { isp, reseller })
            }
            // An admin with an ISP, an ISP user with a reseller…: never widen, refuse.
            _ => None,
        }
    }

    /// Whether a customer of this ISP and reseller is visible to the caller.
    pub fn permits(&self, isp: IspId, reseller: ResellerId) -> bool {
        match *self {
            Self::Platform => true,
            Self::Isp(own) => own == isp,
            Self::Reseller {
                isp: own_isp,
                reseller: own,
            } => own_isp == isp && own == reseller,
        }
    }

    /// The ISP every customer in scope belongs to, if the scope fixes one.
    pub fn isp(&self) -> Option<IspId> {
        match *self {
            Self::Platform => None,
            Self::Isp(isp) | Self::Reseller { isp, .. } => Some(isp),
        }
    }

    /// Checks a given `resellerid` parameter against the scope: a reseller user's own is
    /// implied, another is out of scope; other callers' resellers are checked later, once
    /// the reseller's ISP is known.
    fn check_reseller(&self, given: Option<ResellerId>) -> Result<Option<ResellerId>, DomainError> {
        match (*self, given) {
            (Self::Reseller { reseller, .. }, Some(given)) if given != reseller => {
                Err(DomainError::OutOfScope("resellerid"))
            }
            (Self::Reseller { reseller, .. }, _) => Ok(Some(reseller)),
            (_, given) => Ok(given),
        }
    }

    /// Checks a given `ispid` parameter against the scope.
    fn check_isp(&self, given: Option<IspId>) -> Result<Option<IspId>, DomainError> {
        match (self.isp(), given) {
            (Some(own), Some(given)) if own != given => Err(DomainError::OutOfScope("ispid")),
            (own, given) => Ok(own.or(given)),
        }
    }
}

/// Who wrote a record, as `created_by` / `updated_by` record it: a user through the API,
/// or `crm-admin` (the operator's tool, with AWS credentials rather than a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    Admin,
}

impl Actor {
    /// The stored and returned form: the userid in decimal, or `crm-admin`.
    pub fn label(self) -> String {
        match self {
            Self::User(id) => id.to_string(),
            Self::Admin => "crm-admin".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub userid: UserId,
    pub role: Role,
    pub scope: Scope,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::User(self.userid)
    }

    /// Whether the caller's role allows `op` at all (scope is checked on the data).
    pub fn may(&self, op: Operation) -> bool {
        self.role != Role::Form || op == Operation::CreateCustomer
    }
}

/// Where a new customer goes, once the reseller's ISP is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub isp: IspId,
    pub reseller: ResellerId,
}

/// The first step of placing a create: what the parameters and the scope say, before the
/// reseller record is read. `lookup` is the reseller to read, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacementRequest {
    scope: Scope,
    isp: Option<IspId>,
    pub reseller: ResellerId,
}

impl PlacementRequest {
    /// `ispid` is implied for ISP and reseller users and required for admins;
    /// `resellerid` is implied for reseller users and required for the others.
    pub fn new(
        scope: Scope,
        ispid: Option<IspId>,
        resellerid: Option<ResellerId>,
    ) -> Result<Self, DomainError> {
        let isp = scope.check_isp(ispid)?;
        let reseller = scope
            .check_reseller(resellerid)?
            .ok_or(Invalid::required("resellerid"))?;
        if isp.is_none() {
            return Err(Invalid::required("ispid").into());
        }
        Ok(Self {
            scope,
            isp,
            reseller,
        })
    }

    /// Whether the reseller record must be read to confirm the placement.
    pub fn needs_lookup(&self) -> bool {
        !matches!(self.scope, Scope::Reseller { .. })
    }

    /// Confirms the placement with the ISP the reseller belongs to (`None`: no such reseller).
    pub fn confirm(self, reseller_isp: Option<IspId>) -> Result<Placement, DomainError> {
        let isp = self.isp.ok_or(Invalid::required("ispid"))?;
        let placement = Placement {
            isp,
            reseller: self.reseller,
        };
        match self.scope {
            Scope::Reseller { .. } => Ok(placement),
            // To an ISP user another ISP's reseller does not exist: one answer for both.
            Scope::Isp(_) if reseller_isp != Some(isp) => {
                Err(DomainError::OutOfScope("resellerid"))
            }
            Scope::Isp(_) => Ok(placement),
            Scope::Platform => match reseller_isp {
                None => Err(Invalid::new("resellerid", "no such reseller").into()),
                Some(owner) if owner != isp => Err(Invalid::new(
                    "resellerid",
                    format!("belongs to ISP {owner}, not to ISP {isp}"),
                )
                .into()),
                Some(_) => Ok(placement),
            },
        }
    }
}

/// The part of the platform a list reads, after `ispid`/`resellerid` narrowed the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    All,
    Isp(IspId),
    Reseller {
        isp: IspId,
        reseller: ResellerId,
    },
    /// The filters contradict each other (admin's reseller of another ISP): nothing matches.
    Nothing,
}

impl ListScope {
    /// Whether a customer of this ISP and reseller is in the list's scope.
    pub fn permits(&self, isp: IspId, reseller: ResellerId) -> bool {
        match *self {
            Self::All => true,
            Self::Isp(own) => own == isp,
            Self::Reseller { reseller: own, .. } => own == reseller,
            Self::Nothing => false,
        }
    }
}

/// The first step of narrowing a list; `resellerid` may need its ISP looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrowing {
    scope: Scope,
    isp: Option<IspId>,
    pub reseller: Option<ResellerId>,
}

impl Narrowing {
    pub fn new(
        scope: Scope,
        ispid: Option<IspId>,
        resellerid: Option<ResellerId>,
    ) -> Result<Self, DomainError> {
        let isp = scope.check_isp(ispid)?;
        let reseller = scope.check_reseller(resellerid)?;
        Ok(Self {
            scope,
            isp,
            reseller,
        })
    }

    /// Whether the reseller's ISP must be read to narrow.
    pub fn needs_lookup(&self) -> bool {
        self.reseller.is_some() && !matches!(self.scope, Scope::Reseller { .. })
    }

    pub fn confirm(self, reseller_isp: Option<IspId>) -> Result<ListScope, DomainError> {
        let Some(reseller) = self.reseller else {
            return Ok(self.isp.map_or(ListScope::All, ListScope::Isp));
        };
        match self.scope {
            Scope::Reseller { isp, .. } => Ok(ListScope::Reseller { isp, reseller }),
            Scope::Isp(own) if reseller_isp != Some(own) => {
                Err(DomainError::OutOfScope("resellerid"))
            }
            Scope::Isp(isp) => Ok(ListScope::Reseller { isp, reseller }),
            Scope::Platform => match (self.isp, reseller_isp) {
                (_, None) => Ok(ListScope::Nothing),
                (Some(isp), Some(owner)) if isp != owner => Ok(ListScope::Nothing),
                (_, Some(isp)) => Ok(ListScope::Reseller { isp, reseller }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISP: IspId = IspId(1);
    const OTHER_ISP: IspId = IspId(2);
    const RES: ResellerId = ResellerId(10);

    fn reseller_scope() -> Scope {
        Scope::Reseller {
            isp: ISP,
            reseller: RES,
        }
    }

    #[test]
    fn inconsistent_user_records_get_no_scope() {
        assert_eq!(Scope::of(Role::Admin, Some(ISP), None), None);
        assert_eq!(Scope::of(Role::Isp, Some(ISP), Some(RES)), None);
        assert_eq!(Scope::of(Role::Isp, None, None), None);
        assert_eq!(Scope::of(Role::Reseller, Some(ISP), None), None);
        assert_eq!(Scope::of(Role::Admin, None, None), Some(Scope::Platform));
        assert_eq!(Scope::of(Role::Form, Some(ISP), None), None);
        assert_eq!(
            Scope::of(Role::Form, Some(ISP), Some(RES)),
            Some(reseller_scope())
        );
    }

    #[test]
    fn form_keys_may_only_create_customers() {
        let caller = |role| Caller {
            userid: UserId(1),
            role,
            scope: reseller_scope(),
        };
        assert!(caller(Role::Form).may(Operation::CreateCustomer));
        assert!(!caller(Role::Form).may(Operation::Other));
        assert!(caller(Role::Reseller).may(Operation::Other));
    }

    #[test]
    fn scope_permits_only_own_customers() {
        assert!(Scope::Platform.permits(OTHER_ISP, ResellerId(99)));
        assert!(Scope::Isp(ISP).permits(ISP, ResellerId(99)));
        assert!(!Scope::Isp(ISP).permits(OTHER_ISP, RES));
        assert!(reseller_scope().permits(ISP, RES));
        assert!(!reseller_scope().permits(ISP, ResellerId(11)));
    }

    #[test]
    fn placement_requires_what_the_role_does_not_imply() {
        assert_eq!(
            PlacementRequest::new(Scope::Platform, None, Some(RES)),
            Err(Invalid::required("ispid").into())
        );
        assert_eq!(
            PlacementRequest::new(Scope::Isp(ISP), None, None),
            Err(Invalid::required("resellerid").into())
        );
        let req = PlacementRequest::new(reseller_scope(), None, None).unwrap();
        assert!(!req.needs_lookup());
        assert_eq!(
            req.confirm(None),
            Ok(Placement {
                isp: ISP,
                reseller: RES
            })
        );
    }

    #[test]
    fn placement_outside_scope_is_refused() {
        assert_eq!(
            PlacementRequest::new(Scope::Isp(ISP), Some(OTHER_ISP), Some(RES)),
            Err(DomainError::OutOfScope("ispid"))
        );
        assert_eq!(
            PlacementRequest::new(reseller_scope(), None, Some(ResellerId(11))),
            Err(DomainError::OutOfScope("resellerid"))
        );
        let req = PlacementRequest::new(Scope::Isp(ISP), None, Some(RES)).unwrap();
        assert_eq!(
            req.confirm(Some(OTHER_ISP)),
            Err(DomainError::OutOfScope("resellerid"))
        );
        assert_eq!(
            req.confirm(None),
            Err(DomainError::OutOfScope("resellerid"))
        );
        let admin = PlacementRequest::new(Scope::Platform, Some(ISP), Some(RES)).unwrap();
        assert!(matches!(
            admin.confirm(Some(OTHER_ISP)),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn list_scope_permits_its_customers_only() {
        assert!(ListScope::All.permits(OTHER_ISP, RES));
        assert!(ListScope::Isp(ISP).permits(ISP, ResellerId(99)));
        assert!(!ListScope::Isp(ISP).permits(OTHER_ISP, RES));
        let reseller = ListScope::Reseller {
            isp: ISP,
            reseller: RES,
        };
        assert!(reseller.permits(ISP, RES));
        assert!(!reseller.permits(ISP, ResellerId(11)));
        assert!(!ListScope::Nothing.permits(ISP, RES));
    }

    #[test]
    fn narrowing_follows_scope() {
        let n = Narrowing::new(Scope::Platform, None, None).unwrap();
        assert_eq!(n.confirm(None), Ok(ListScope::All));
        let n = Narrowing::new(Scope::Isp(ISP), None, None).unwrap();
        assert_eq!(n.confirm(None), Ok(ListScope::Isp(ISP)));
        let n = Narrowing::new(Scope::Isp(ISP), None, Some(RES)).unwrap();
        assert_eq!(
            n.confirm(Some(OTHER_ISP)),
            Err(DomainError::OutOfScope("resellerid"))
        );
        let n = Narrowing::new(Scope::Platform, Some(OTHER_ISP), Some(RES)).unwrap();
        assert_eq!(n.confirm(Some(ISP)), Ok(ListScope::Nothing));
        assert_eq!(
            Narrowing::new(reseller_scope(), Some(OTHER_ISP), None),
            Err(DomainError::OutOfScope("ispid"))
        );
    }
}
